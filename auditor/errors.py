"""Typed errors of every package: each message names the file, field or platform that failed."""


class AuditorError(Exception):
    """Base of every error the tool reports to its user as one plain line."""

    exit_code = 2


class ConfigError(AuditorError):
    """The configuration file or environment is unusable (names the file and key)."""


class DirectoryError(AuditorError):
    """The directory (LDAP server or LDIF file) could not be read or is malformed."""


class PolicyError(AuditorError):
    """A policy or exception file is malformed (names the file and field)."""


class ConnectorError(AuditorError):
    """A platform could not be read: auth, permission, rate limit, server error or a malformed answer.

    ``platform`` names the configured platform; ``retryable`` tells whether waiting could help.
    """

    exit_code = 3

    def __init__(self, platform: str, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.status = status
        self.retryable = retryable


class StorageError(AuditorError):
    """The database could not be opened, migrated or written."""
