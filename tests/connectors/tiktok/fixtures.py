"""A small Business Center in the documented shapes (platform-apis.md section 3), one case per mapping."""

from __future__ import annotations

from typing import Any

BC_ID = "7000000000000000001"
TOKEN = "tiktok-test-token-5f1c2a9e77"  # noqa: S105 - a test value


def _member(user_id: str | None, name: str, email: str | None, role: str, status: str = "BOUND",
            finance: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"user_name": name, "user_role": role, "relation_status": status}
    if user_id:
        item["user_id"] = user_id
    if email:
        item["user_email"] = email
    if finance:
        item["ext_user_role"] = {"finance_role": finance}
    return item


def _on(member: dict[str, Any], **roles: Any) -> dict[str, Any]:
    return {**{k: v for k, v in member.items() if k != "ext_user_role"}, **roles}


def business_center() -> dict[str, Any]:
    """Members of every relation status, assets of every readable type, a changelog."""
    ada = _member("7001", "Ada Admin", "ada@kwiatek.example", "ADMIN", finance="MANAGER")
    ben = _member("7002", "Ben Standard", "ben@kwiatek.example", "STANDARD", finance="ANALYST")
    cleo = _member("7003", "Cleo Creator", "cleo@kwiatek.example", "STANDARD")
    dan = _member("7004", "Dan Future", "dan@kwiatek.example", "SUPER_ADMIN")
    eve = _member(None, "eve@kwiatek.example", "eve@kwiatek.example", "STANDARD", "PENDING")
    finn = _member("7006", "Finn Former", "finn@kwiatek.example", "ADMIN", "UNBOUND")
    gus = _member("7007", "Gus Declined", "gus@kwiatek.example", "STANDARD", "REJECTED")
    hal = _member("7008", "Hal Suspended", "hal@kwiatek.example", "STANDARD", "SUSPENDED")
    partner = _member("7010", "Pat Partner", "pat@agency.example", "STANDARD")
    return {
        "now": "2026-03-15T12:00:00+00:00",
        "bc": {"bc_id": BC_ID, "name": "Kwiatek Test BC", "company": "Kwiatek Test sp. z o.o.",
               "currency": "PLN", "timezone": "Europe/Warsaw"},
        "caller": {"user_role": "ADMIN", "ext_user_role": {"finance_role": "ANALYST"}},
        "members": [ada, ben, cleo, dan, eve, finn, gus, hal],
        "assets": [
            {"asset_id": "8001", "asset_name": "Test Ads", "asset_type": "ADVERTISER", "relation_type": "OWNER_BC",
             "advertiser_account_type": "AUCTION", "members": [
                 _on(ada, advertiser_role="ADMIN"), _on(ben, advertiser_role="OPERATOR"),
                 _on(cleo, advertiser_role="ANALYST"), _on(dan, advertiser_role="SUPERVISOR"),
                 _on(partner, advertiser_role="OPERATOR")]},
            {"asset_id": "8101", "asset_name": "Test Catalog", "asset_type": "CATALOG", "members": [
                _on(ada, catalog_role="ADMIN"), _on(ben, catalog_role="AD_PROMOTE")]},
            {"asset_id": "8201", "asset_name": "@kwiatek.test", "asset_type": "TT_ACCOUNT", "members": [
                _on(cleo, tt_account_roles=["POST", "LIVE"]), _on(ben, tt_account_roles=["DIRECT_MESSAGE", "DUET"]),
                _on(hal, tt_account_roles=[])]},
            {"asset_id": "8301", "asset_name": "Test Shop", "asset_type": "TIKTOK_SHOP", "members": [
                _on(ada, store_role="MANAGER"), _on(ben, store_role="AD_PROMOTION")]},
            {"asset_id": "8401", "asset_name": "Test Pixel", "asset_type": "PIXEL", "pixel_code": "CTEST",
             "members": []},
            {"asset_id": "8501", "asset_name": "Test Leads", "asset_type": "LEAD", "members": [
                _on(ada, form_library_role="ADMIN")]},
        ],
        "partners": [
            {"bc_id": "7900", "bc_name": "Pixel Agency BC", "shared": [], "assets": [
                {"asset_type": "ADVERTISER", "asset_id": "8001", "advertiser_role": "OPERATOR"},
                {"asset_type": "CATALOG", "asset_id": "8101", "catalog_role": "ADMIN"},
                {"asset_type": "PIXEL", "asset_id": "8401"}]},
            {"bc_id": "7901", "bc_name": "Client BC", "assets": [],
             "shared": [{"asset_id": "9901", "asset_name": "Client Ads", "asset_type": "ADVERTISER"}]},
        ],
        "changelog": [
            {"time": "2026-03-14 09:30:00", "activity_type": "ACCOUNT", "operator_id": "7001",
             "activity_log": "Ada Admin assigned Operator permission on ad account Test Ads to Ben Standard"},
            {"time": "2026-03-10 08:00:00", "activity_type": "USER", "operator_id": "7001",
             "activity_log": "Ada Admin removed Finn Former from the Business Center"},
            {"time": "2026-02-01 10:15:00", "activity_type": "ASSET", "operator_id": "7003",
             "activity_log": "Cleo Creator updated catalog Test Catalog"},
            {"time": "2025-12-24 18:00:00", "activity_type": "BUSINESS", "operator_id": "7001",
             "activity_log": "Ada Admin changed the Business Center name"},
            {"time": "2025-06-01 12:00:00", "activity_type": "USER", "operator_id": "7001",
             "activity_log": "Ada Admin invited ben@kwiatek.example to join the Business Center"},
        ],
    }


def many_members(count: int) -> dict[str, Any]:
    """The base Business Center plus ``count`` ordinary members (for paging)."""
    data = business_center()
    data["members"] += [_member(str(9000 + i), f"Member {i}", f"m{i}@kwiatek.example", "STANDARD")
                        for i in range(count)]
    return data
