"""The page groups of the web UI, one module each."""
