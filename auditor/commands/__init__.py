"""Command groups of the `auditor` CLI, one module per area (registered on the main group in auditor/cli.py)."""
