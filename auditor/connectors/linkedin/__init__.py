"""LinkedIn connector: ``LinkedInConnector`` registers itself as kind "linkedin".

Modules: ``connector`` (HTTP orchestration and failure policy), ``mapping`` (role and state tables, the pure
mapping of organizationAcls / adAccountUsers elements), ``dialect`` (version headers, errors, start/count paging).
"""

from auditor.connectors.linkedin.connector import DEFAULT_BASE_URL, REQUIRED_SCOPES, LinkedInConnector

__all__ = ["DEFAULT_BASE_URL", "REQUIRED_SCOPES", "LinkedInConnector"]
