"""A read-only TAXII 2.1 server: Active indicators as collections a SIEM or TIP polls."""
