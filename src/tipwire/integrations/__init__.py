"""Built-in integrations, registered through the same entry points as third-party ones."""
