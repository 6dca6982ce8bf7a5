"""The company directory: people from OpenLDAP / Active Directory (``ldap.py``) or an LDIF file (``ldif.py``).

``open_directory(settings)`` builds the configured one; ``mapping.py`` normalises entries into ``Person``.
"""

from auditor.directory.base import Directory, open_directory

__all__ = ["Directory", "open_directory"]
