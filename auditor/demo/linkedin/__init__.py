"""linkedin."""
