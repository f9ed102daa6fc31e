"""Shadowserver: its report files (read by header name) and its Reports API client.

The fake Reports API used by tests lives in ``tipwire.providers.shadowserver.fake`` and is
not imported here, so reading reports never loads the web server.
"""
