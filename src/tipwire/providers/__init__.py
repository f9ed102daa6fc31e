"""Clients for the threat-data providers TipWire pulls raw records from."""
