"""Infostealer logs: credential dumps in text files, loose in a folder or inside zip archives."""
