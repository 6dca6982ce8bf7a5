"""Admin exports of the fictional shop, read by the generic import (kind "import"); no emulator.

Two platform entries, each with its file written into the demo workspace (``SandboxPlatform.files``):

- "Kwiatek on X (admin export)": the X Ads "Edit access to account" list as CSV (``company_x.admin_export``),
  the part of the truth the X Ads API does not list: a leaver still ACCOUNT_ADMIN, an expired contractor,
  an agency account.
- "Kwiatek on YouTube (channel permissions)": YouTube has no API for channel managers, so the admin copies
  Studio > Settings > Permissions into JSON: the Owner, a Manager who left 60 days ago, a designer on his
  personal Gmail (manually linked to him), and a pending invitation to a person who left 30 days ago.

Neither export has a 2FA or last-activity column, so 2FA, dormancy and post-departure activity are
"could not verify" (one aggregated finding per rule), as is the age of the YouTube invitation.
"""

from __future__ import annotations

import json
import random
import string

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform
from auditor.demo.x.company import EXPORT_FILE, EXPORT_PLATFORM, admin_export, clean_staff, person, unknown_finding

YOUTUBE_PLATFORM = "Kwiatek on YouTube (channel permissions)"
YOUTUBE_FILE = "youtube-channel-permissions.json"
PERSONAL_ADDRESS = "jose.garcia.design@gmail.com"
DESIGNER, LEAVER, INVITED = "jgarcia", "klewandowska", "rzielinski"
_CHANNEL = (  # uid, role, state
    ("bkwiatkowska", "Owner", "active"),
    ("mwrobel", "Manager", "active"),
    ("njankowska", "Editor", "active"),
    (DESIGNER, "Editor", "active"),
    (LEAVER, "Manager", "active"),
    (INVITED, "Editor", "invited"),
)
_REASONS = {  # the rules the YouTube export cannot verify, and why
    "missing-2fa": "YouTube Studio does not show whether a manager has 2FA",
    "tenant-2fa-not-enforced": "a channel has no 2FA policy to read",
    "dormant-access": "the export has no last-activity column",
    "post-departure-activity": "no activity log to look for actions after the departure",
    "stale-invitation": "the export does not say when the invitation was sent",
}


def build(company: Company) -> list[SandboxPlatform]:
    """Both exports as sandbox platforms (their files and planted findings)."""
    return [x_export(company), youtube_export(company)]


def x_export(company: Company) -> SandboxPlatform:
    """The X ads account's admin export (CSV)."""
    text, planted, ad_id = admin_export(company)
    return SandboxPlatform(
        kind="import", name=EXPORT_PLATFORM, tenant_id=ad_id, data={}, token="", planted=planted,
        settings={"tenant_id": ad_id, "options": {"path": EXPORT_FILE, "platform_kind": "x",
                                                  "tenant_name": "Kwiatek Sklep (X Ads, admin export)"}},
        files={EXPORT_FILE: text},
    )


def youtube_rows(company: Company) -> tuple[str, list[dict[str, str]]]:
    """(channel id, the exported rows) of the shop's YouTube channel."""
    rng = random.Random(f"kwiatek:{company.seed}:youtube")
    channel = "UC" + "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(22))
    rows = []
    cast = {uid for uid, _, _ in _CHANNEL}
    members = [(uid, role, state) for uid, role, state in _CHANNEL]
    members += [(e["uid"][0], "Viewer", "active") for e in clean_staff(company, "Customer Care", 2, cast)]
    for uid, role, state in members:
        entry = person(company, uid)
        email = PERSONAL_ADDRESS if uid == DESIGNER else entry["mail"][0]
        rows.append({"platform": "youtube", "tenant": channel, "account_id": email, "email": email,
                     "name": entry["cn"][0], "role": role, "asset": channel, "state": state})
    return channel, rows


def youtube_export(company: Company) -> SandboxPlatform:
    """The YouTube channel's permissions, copied by the admin into JSON (one object per line)."""
    channel, rows = youtube_rows(company)
    text = "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n"
    by_uid = {uid: row for (uid, _, _), row in zip(_CHANNEL, rows, strict=False)}
    planted = [
        Planted("personal_email", YOUTUBE_PLATFORM, PERSONAL_ADDRESS, None, DESIGNER,
                "Editor through a personal Gmail address (manually linked to the designer)"),
        Planted("orphaned_access", YOUTUBE_PLATFORM, by_uid[LEAVER]["account_id"], None, LEAVER,
                "left 60 days ago, still Manager of the channel"),
        Planted("stale_invitation", YOUTUBE_PLATFORM, by_uid[INVITED]["account_id"], None, INVITED,
                "pending Editor invitation to a person who left 30 days ago"),
    ]
    planted += [unknown_finding(YOUTUBE_PLATFORM, rule, reason) for rule, reason in _REASONS.items()]
    return SandboxPlatform(
        kind="import", name=YOUTUBE_PLATFORM, tenant_id=channel, data={}, token="", planted=planted,
        settings={"tenant_id": channel, "options": {"path": YOUTUBE_FILE, "platform_kind": "youtube",
                                                    "tenant_name": "Kwiatek Sklep (YouTube)"}},
        links=[{"platform": YOUTUBE_PLATFORM, "email": PERSONAL_ADDRESS, "uid": DESIGNER}],
        files={YOUTUBE_FILE: text},
    )
