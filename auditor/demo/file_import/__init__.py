"""file_import."""
