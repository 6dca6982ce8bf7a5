"""Small MetaBusinessData dicts in the Graph API v25.0 shapes (docs/platforms/meta.md) for tests."""

from __future__ import annotations

import copy
from typing import Any

BUSINESS_ID = "1000"
TOKEN = "EAAtestOWNtoken0123456789abcdef"
EXTRA_TOKEN = "EAAtestEXTRAtoken9876543210zyxw"
EXTRA_ENV = "META_ZAPIER_TOKEN"
APP_ID = "9901"
APP_SECRET = "testappsecret0123456789"  # noqa: S105 (a test value)
APP_SECRET_ENV = "META_APP_SECRET"  # noqa: S105 (the name of an environment variable)


def _user(uid: str, name: str, email: str, role: str, tasks: list[str], two_fac: str, **extra: Any) -> dict:
    first, _, last = name.partition(" ")
    return {"id": uid, "name": name, "email": email, "first_name": first, "last_name": last, "title": "Staff",
            "role": role, "tasks": tasks, "two_fac_status": two_fac, "finance_permission": None,
            "pending_email": None, "marked_for_removal": False, "invited_user_type": "FB", **extra}


def _assignee(uid: str, name: str, tasks: list[str], user_type: str = "BUSINESS_USER") -> dict:
    return {"id": uid, "name": name, "user_type": user_type, "tasks": tasks, "permitted_tasks": tasks}


def _activity(when: str, event_type: str, actor: str, actor_name: str, object_id: str,
              object_name: str) -> dict:
    return {"actor_id": actor, "actor_name": actor_name, "application_id": "", "application_name": "",
            "date_time_in_timezone": when, "event_time": when, "event_type": event_type,
            "extra_data": '{"role": "ADVERTISER"}', "object_id": object_id, "object_name": object_name,
            "object_type": "USER", "translated_event_type": event_type.replace("_", " ")}


BASE: dict[str, Any] = {
    "business": {"id": BUSINESS_ID, "name": "Kwiatek Test Shop", "two_factor_type": "admin_required"},
    "business_users": [
        _user("2001", "Anna Admin", "anna@kwiatek.example", "ADMIN", ["ADMIN", "FINANCE_EDIT"], "enabled"),
        _user("2002", "Ben Employee", "ben@kwiatek.example", "EMPLOYEE", ["EMPLOYEE"], "not_enabled",
              pending_email="ben.new@kwiatek.example"),
        _user("2003", "Cara Finance", "cara@gmail.example", "EMPLOYEE", ["FINANCE_EDITOR"], "Fully_Enabled"),
        _user("2004", "Dan Dev", "dan@kwiatek.example", "DEVELOPER", ["DEVELOPER", "SUPER_POWER"],
              "sms_pending"),
    ],
    "system_users": [
        {"id": "3001", "name": "Zapier Bridge", "role": "ADMIN", "system_user_id": "93001",
         "created_by": {"id": "2001", "name": "Anna Admin"}, "created_time": "2023-05-01T08:00:00+0000"},
    ],
    "pending_users": [
        {"id": "4001", "email": "eve@kwiatek.example", "role": "EMPLOYEE", "tasks": ["EMPLOYEE"],
         "status": "PENDING",
         "created_by": {"id": "2001", "name": "Anna Admin"}, "created_time": "2024-01-10T09:00:00+0000",
         "expiration_time": "2024-02-10T09:00:00+0000", "invited_user_type": "FB"},
        {"id": "4002", "email": "old@kwiatek.example", "role": "ADMIN", "tasks": ["ADMIN"],
         "status": "EXPIRED",
         "created_by": {"id": "2001", "name": "Anna Admin"}, "created_time": "2023-01-10T09:00:00+0000",
         "expiration_time": "2023-02-10T09:00:00+0000", "invited_user_type": "FB"},
    ],
    "owned_pages": [
        {"id": "5001", "name": "Kwiatek", "category": "Shopping & retail", "assigned_users": [
            _assignee("2001", "Anna Admin", ["MANAGE", "CREATE_CONTENT", "MODERATE", "ADVERTISE", "ANALYZE"]),
            _assignee("2002", "Ben Employee", ["CREATE_CONTENT", "MODERATE"]),
            _assignee("2004", "Dan Dev", ["PROFILE_PLUS_FULL_CONTROL"]),
            _assignee("3001", "Zapier Bridge", ["ANALYZE", "TELEPORT"], "SYSTEM_USER"),
        ]},
    ],
    "client_pages": [
        {"id": "5002", "name": "Partner Page", "category": "Brand", "assigned_users": [
            _assignee("2003", "Cara Finance", ["PROFILE_PLUS_MANAGE"]),
            _assignee("2001", "Anna Admin", ["MANAGE"]),
            _assignee("7777", "Agency Person", ["ADVERTISE"]),
        ]},
    ],
    "owned_ad_accounts": [
        {"id": "act_6001", "account_id": "6001", "name": "Main ads", "account_status": 1, "assigned_users": [
            _assignee("2001", "Anna Admin", ["MANAGE", "ADVERTISE", "ANALYZE"]),
            _assignee("2002", "Ben Employee", ["ADVERTISE", "ANALYZE", "DRAFT"]),
        ], "activities": [
            _activity("2024-03-01T10:00:00+0000", "ad_account_add_user_to_role", "2001", "Anna Admin", "2002",
                      "Ben Employee"),
            _activity("2024-03-05T12:30:00+0000", "update_campaign_budget", "2002", "Ben Employee", "9001",
                      "Spring campaign"),
            _activity("2024-03-20T08:00:00+0000", "ad_account_remove_user_from_role", "2001", "Anna Admin",
                      "2004", "Dan Dev"),
            _activity("2023-06-01T08:00:00+0000", "create_campaign_group", "2002", "Ben Employee", "9000",
                      "Old campaign"),
        ]},
    ],
    "client_ad_accounts": [
        {"id": "act_6002", "account_id": "6002", "name": "Partner ads", "account_status": 1,
         "assigned_users": [
            _assignee("2003", "Cara Finance", ["AA_ANALYZE"]),
        ], "activities": []},
    ],
    "owned_instagram_assets": [
        {"id": "8001", "ig_user_id": "178400001", "ig_username": "kwiatek.shop", "assigned_users": [
            _assignee("2002", "Ben Employee", ["CONTENT", "MESSAGES", "COMMUNITY_ACTIVITY"]),
            _assignee("2001", "Anna Admin", ["CONTENT", "ADVERTISE", "ANALYZE"]),
        ]},
    ],
    "client_instagram_assets": [],
    "owned_whatsapp_business_accounts": [
        {"id": "8501", "name": "Kwiatek WhatsApp", "assigned_users": [
            _assignee("2001", "Anna Admin", ["FULL_CONTROL"]),
            _assignee("2002", "Ben Employee", ["MESSAGING", "VIEW_TEMPLATES"]),
        ]},
    ],
    "client_whatsapp_business_accounts": [],
    "owned_apps": [{"id": "9901", "name": "Kwiatek Shop Sync", "link": "https://kwiatek.example",
                    "namespace": "kw"}],
    "client_apps": [{"id": "9902", "name": "Zapier", "link": "https://zapier.example",
                     "namespace": "zapier"}],
    "app_secrets": {APP_ID: APP_SECRET},  # the auditor's app: its app token may inspect its tokens
    "app_roles": {"9902": ["93001"]},  # the Zapier system user is a developer of its app (may inspect itself)
    "tokens": {
        TOKEN: {"app_id": "9901", "type": "USER", "application": "Kwiatek Audit", "expires_at": 0,
                "data_access_expires_at": 1900000000, "issued_at": 1700000000, "is_valid": True,
                "scopes": ["business_management", "ads_read", "pages_show_list", "pages_read_engagement",
                           "pages_manage_metadata"],
                "granular_scopes": [{"scope": "business_management", "target_ids": [BUSINESS_ID]}],
                "user_id": "2001"},
        EXTRA_TOKEN: {"app_id": "9902", "type": "USER", "application": "Zapier", "expires_at": 0,
                      "data_access_expires_at": 1900000000, "issued_at": 1700000000, "is_valid": True,
                      "scopes": ["ads_management", "business_management", "pages_manage_metadata"],
                      "granular_scopes": [{"scope": "ads_management", "target_ids": ["6001"]}],
                      "user_id": "93001"},
    },
}


def business(**changes: Any) -> dict[str, Any]:
    """A deep copy of the base business with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def many_users(count: int) -> list[dict[str, Any]]:
    """``count`` plain employees with distinct ids and emails."""
    return [_user(str(100000 + i), f"User {i}", f"user{i}@kwiatek.example", "EMPLOYEE", ["EMPLOYEE"],
                  "enabled") for i in range(count)]
