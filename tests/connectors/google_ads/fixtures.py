"""Google Ads customers in the documented shapes (platform-apis.md section 5), one case per mapping.

Times are UTC in the data; the emulator serves them in each customer's time zone.
"""

from __future__ import annotations

from typing import Any

MANAGER_ID = "1110000001"
SEARCH_ID = "2220000002"
VIDEO_ID = "3330000003"
TOKEN = "ya29.google-test-token-4f2a9"  # noqa: S105 - a test value
DEVELOPER_TOKEN = "dev-token-test-7c1e"  # noqa: S105 - a test value


def _user(user_id: str, email: str, role: str, created: str, passkey: bool | None = None,
          inviter: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"user_id": user_id, "email_address": email, "access_role": role,
                            "access_creation_date_time": created, "inviter_user_email_address": inviter}
    if passkey is not None:
        item["passkey_enabled"] = passkey
    return item


def _change(when: str, email: str, resource_type: str = "CAMPAIGN", operation: str = "UPDATE",
            client: str = "GOOGLE_ADS_WEB_CLIENT") -> dict[str, Any]:
    return {"change_date_time": when, "user_email": email, "client_type": client,
            "change_resource_type": resource_type, "resource_change_operation": operation,
            "change_resource_name": f"customers/{SEARCH_ID}/campaigns/99", "changed_fields": "status",
            "campaign": f"customers/{SEARCH_ID}/campaigns/99"}


def customers() -> dict[str, Any]:
    """A manager, a Search customer (Warsaw time) and a Video customer (New York time)."""
    return {
        "now": "2026-03-15T12:00:00+00:00",
        "manager_id": MANAGER_ID,
        "accessible": [MANAGER_ID],
        "developer_token": DEVELOPER_TOKEN,
        "customers": {
            MANAGER_ID: {
                "descriptive_name": "Test MCC", "manager": True, "time_zone": "Europe/Warsaw",
                "currency_code": "PLN", "via_manager": False,
                "users": [_user("501", "ada@kwiatek.example", "ADMIN", "2024-01-10T08:00:00+00:00", True)],
                "invitations": [], "change_events": [],
            },
            SEARCH_ID: {
                "descriptive_name": "Test Search", "manager": False, "time_zone": "Europe/Warsaw",
                "currency_code": "PLN", "via_manager": True,
                "users": [
                    _user("501", "ada@kwiatek.example", "ADMIN", "2023-06-01T07:30:00+00:00", False),
                    _user("502", "ben@kwiatek.example", "STANDARD", "2025-01-15T12:00:00+00:00", True,
                          "ada@kwiatek.example"),
                    _user("503", "cleo@kwiatek.example", "READ_ONLY", "2025-02-01T00:30:00+00:00", False),
                    _user("504", "dan@kwiatek.example", "EMAIL_ONLY", "2025-03-01T10:00:00+00:00"),
                    _user("505", "eli@kwiatek.example", "SUPER_USER", "2025-04-01T10:00:00+00:00"),
                ],
                "invitations": [
                    {"invitation_id": "701", "email_address": "fay@kwiatek.example", "access_role": "STANDARD",
                     "creation_date_time": "2026-03-05T09:00:00+00:00", "invitation_status": "PENDING"},
                    {"invitation_id": "702", "email_address": "gus@kwiatek.example", "access_role": "ADMIN",
                     "creation_date_time": "2026-01-05T09:00:00+00:00", "invitation_status": "EXPIRED"},
                    {"invitation_id": "703", "email_address": "hal@kwiatek.example", "access_role": "READ_ONLY",
                     "creation_date_time": "2026-02-20T09:00:00+00:00", "invitation_status": "DECLINED"},
                    {"invitation_id": "704", "email_address": "ivy@kwiatek.example", "access_role": "ADMIN",
                     "creation_date_time": "2026-03-01T09:00:00+00:00", "invitation_status": "ON_HOLD"},
                ],
                "change_events": [
                    _change("2026-03-14T10:00:00+00:00", "ben@kwiatek.example", "CAMPAIGN_BUDGET"),
                    _change("2026-03-01T23:30:00+00:00", "ada@kwiatek.example", "AD_GROUP_AD", "CREATE"),
                    _change("2026-02-20T08:00:00+00:00", "ben@kwiatek.example"),
                    _change("2026-02-18T08:00:00+00:00", "former@agency.example", "AD", "REMOVE",
                            "GOOGLE_ADS_EDITOR"),
                    _change("2026-01-20T08:00:00+00:00", "ben@kwiatek.example"),  # outside the 30 days
                ],
            },
            VIDEO_ID: {
                "descriptive_name": "Test Video", "manager": False, "time_zone": "America/New_York",
                "currency_code": "USD", "via_manager": True,
                "users": [_user("502", "ben@kwiatek.example", "ADMIN", "2024-11-30T23:00:00+00:00", False),
                          _user("506", "jo@kwiatek.example", "STANDARD", "2025-07-04T02:00:00+00:00")],
                "invitations": [],
                "change_events": [_change("2026-03-10T03:30:00+00:00", "jo@kwiatek.example", "ASSET", "CREATE",
                                          "GOOGLE_ADS_MOBILE_APP")],
            },
        },
    }


def many_users(count: int) -> dict[str, Any]:
    """The base customers plus ``count`` read-only users on the Search customer (for paging)."""
    data = customers()
    data["customers"][SEARCH_ID]["users"] += [
        _user(str(9000 + i), f"u{i}@kwiatek.example", "READ_ONLY", "2025-05-05T05:05:05+00:00")
        for i in range(count)]
    return data
