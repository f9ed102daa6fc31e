"""Notifications: rules that tell people and systems about new events and failing runs."""
