"""Helpers shared by tests: real services (slapd) started as child processes."""
