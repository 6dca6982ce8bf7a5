"""The generic import of an admin's export (CSV or JSON): ``ImportConnector`` registers as kind "import".

Modules: ``connector`` (options, evidence, capabilities from the columns present), ``reader`` (file ->
numbered records, SHA-256), ``rows`` (row-by-row validation), ``vocabulary`` (columns, states, role tables).
"""

from auditor.connectors.file_import.connector import ImportConnector, ImportOptions
from auditor.connectors.file_import.reader import ExportError, read_export

__all__ = ["ExportError", "ImportConnector", "ImportOptions", "read_export"]
