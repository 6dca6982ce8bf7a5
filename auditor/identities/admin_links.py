"""Deep links to each platform's own admin screen, as data: (platform kind, asset kind) -> URL template.

The key ``(kind, PEOPLE)`` is the platform's people / users screen of the tenant (where an account is removed).
Templates use ``{tenant}`` and ``{asset}`` (URL-quoted). A kind or asset kind not in the table has no link:
the queue then names the platform and asset and the admin finds the screen themselves.
"""

from __future__ import annotations

from urllib.parse import quote

PEOPLE = "*people"

ADMIN_SCREENS: dict[tuple[str, str], str] = {
    ("meta", PEOPLE): "https://business.facebook.com/settings/people?business_id={tenant}",
    ("meta", "page"): "https://business.facebook.com/settings/pages/{asset}?business_id={tenant}",
    ("meta", "ad_account"): "https://business.facebook.com/settings/ad-accounts/{asset}?business_id={tenant}",
    ("meta", "instagram_account"):
        "https://business.facebook.com/settings/instagram-account-v2s/{asset}?business_id={tenant}",
    ("meta", "catalog"): "https://business.facebook.com/settings/product-catalogs/{asset}?business_id={tenant}",
    ("meta", "pixel"): "https://business.facebook.com/settings/pixels/{asset}?business_id={tenant}",
    ("meta", "whatsapp_business_account"):
        "https://business.facebook.com/settings/whatsapp-business-accounts/{asset}?business_id={tenant}",
    ("linkedin", "organization_page"): "https://www.linkedin.com/company/{asset}/admin/settings/manage-admins/",
    ("linkedin", "ad_account"): "https://www.linkedin.com/campaignmanager/accounts/{asset}/users",
    ("google_ads", PEOPLE): "https://ads.google.com/aw/accountaccess",
    ("google_ads", "ad_account"): "https://ads.google.com/aw/accountaccess",
    ("google_ads", "manager_account"): "https://ads.google.com/aw/accountaccess",
    ("tiktok", PEOPLE): "https://business.tiktok.com/manage/member?org_id={tenant}",
    ("x", "ad_account"): "https://ads.x.com/accounts/{asset}/account_access",
    ("shopify", PEOPLE): "https://admin.shopify.com/settings/account",
}
"""(platform kind, asset kind or ``PEOPLE``) -> the admin screen's URL template."""


def admin_link(kind: str | None, asset_kind: str | None, *, tenant: str | None, asset: str | None = None) -> str | None:
    """The admin screen of an asset (or, with ``asset_kind`` ``PEOPLE``, of the tenant's people), or None."""
    template = ADMIN_SCREENS.get((kind or "", asset_kind or ""))
    if template is None:
        return None
    return template.format(tenant=quote(tenant or "", safe=""), asset=quote(asset or "", safe=""))
