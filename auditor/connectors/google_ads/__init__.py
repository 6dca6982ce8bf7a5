"""Google Ads connector: ``GoogleAdsConnector`` registers itself as kind "google_ads".

Modules: ``connector`` (orchestration and failure policy), ``mapping`` (role tables, GAQL queries and the
pure mapping of search rows to the model), ``dialect`` (error JSON, quota signals, the JSON-body client).
"""

from auditor.connectors.google_ads.connector import DEFAULT_BASE_URL, GoogleAdsConnector
from auditor.connectors.google_ads.dialect import ADWORDS_SCOPE

__all__ = ["ADWORDS_SCOPE", "DEFAULT_BASE_URL", "GoogleAdsConnector"]
