"""Example third-party TipWire integrations, installed by the test suite like any plugin."""
