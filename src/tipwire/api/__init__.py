"""The Open Exchange REST API under ``/api``."""

from tipwire.api.app import create_app

__all__ = ["create_app"]
