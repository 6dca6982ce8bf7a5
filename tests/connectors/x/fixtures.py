"""Small XAdsData dicts in the Ads API v12 shapes (docs/platforms/x.md) for the X tests."""

from __future__ import annotations

import copy
from typing import Any

CREDENTIALS = "ckTESTconsumerKEY0123:csTESTconsumerSECRET456789abcdef:2417045708-atTESTtoken:tsTESTtokenSECRET987"
AD_ACCOUNT = "18ce54d4x5t"
OTHER_ACCOUNT = "18ce55a1b2c"
CALLER = "2417045708"
OWNER = "756201191"


def _promotable(pid: str, user_id: str, kind: str, *, deleted: bool = False) -> dict[str, Any]:
    return {"id": pid, "user_id": user_id, "promotable_user_type": kind, "created_at": "2023-01-10T09:00:00Z",
            "updated_at": "2024-02-01T10:00:00Z", "deleted": deleted}


BASE: dict[str, Any] = {
    "caller_user_id": CALLER,
    "accounts": [
        {"id": AD_ACCOUNT, "name": "Kwiatek Test Shop", "business_id": None, "business_name": None,
         "timezone": "Europe/Warsaw", "timezone_switch_at": "2023-01-01T00:00:00Z", "approval_status": "ACCEPTED",
         "created_at": "2023-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "deleted": False,
         "users": [
             {"user_id": CALLER, "screen_name": "anna_admin", "permissions": ["ACCOUNT_ADMIN", "TWEET_COMPOSER"]},
             {"user_id": "111", "screen_name": "hidden_user", "permissions": ["AD_MANAGER"]},
         ],
         "promotable_users": [
             _promotable("l310s", OWNER, "FULL"),
             _promotable("l310t", "8880001", "RETWEETS_ONLY"),
             _promotable("l310u", "8880002", "RETWEETS_ONLY", deleted=True),
         ]},
        {"id": OTHER_ACCOUNT, "name": "Kwiatek Garden", "timezone": "Europe/Warsaw", "approval_status": "ACCEPTED",
         "created_at": "2023-06-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "deleted": False,
         "users": [{"user_id": CALLER, "screen_name": "anna_admin", "permissions": ["ANALYST"]}],
         "promotable_users": [_promotable("m1", OWNER, "FULL")]},
    ],
}


def ads_data() -> dict[str, Any]:
    """A fresh copy of the base data."""
    return copy.deepcopy(BASE)


def many_promotable(count: int) -> dict[str, Any]:
    """The base data with ``count`` extra RETWEETS_ONLY users on the first account (for paging)."""
    data = ads_data()
    data["accounts"][0]["promotable_users"] += [_promotable(f"p{i}", str(9000000 + i), "RETWEETS_ONLY")
                                                for i in range(count)]
    return data
