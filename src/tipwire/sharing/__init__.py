"""Sharing: STIX 2.1 bundles, MISP events, blocklists and CSV/JSON exports."""
