"""Tests of auditor.directory against real slapd servers and LDIF files."""
