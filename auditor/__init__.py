"""auditor: security and access-governance auditor for the platform accounts of online shops."""

__version__ = "0.1.0"
