"""Art. 30 records of processing of the auditor itself: what personal data the tool keeps, why, for how long.

Built from the configuration (controller, retention periods, storage, platforms), so the record shown to a
DPO matches what the installation actually does. English only: it is an internal record, not a letter.
"""

from __future__ import annotations

from typing import Any

from auditor.config import Settings
from auditor.storage.db import redact_url


def _storage(settings: Settings) -> str:
    url = redact_url(settings.storage_url)
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite file" if url.startswith("sqlite") else url
    return f"{backend} ({url})"


def records_of_processing(settings: Settings) -> dict[str, Any]:
    """The Art. 30(1) record: controller, then one entry per processing activity (a)-(g)."""
    dsar = settings.dsar
    platforms = sorted({f"{p.name} ({p.kind})" for p in settings.platform}) or ["none configured"]
    security = [
        "web login with a password hashed by argon2 and a TOTP second factor; sessions bound to the server",
        "roles of the tool enforced on every request; CSRF tokens on every form; security headers",
        "platform tokens read from the environment or a secrets file, never stored in the database or logs",
        "platform access is read-only; revocations need an explicit, approved action",
        "retention job deletes data past its period (see each activity)",
        f"database: {_storage(settings)}",
    ]
    common = {"controller": dsar.controller_name, "transfers": "none by the tool (data stays in the database above)"}
    activities = [
        {
            "id": "access-governance",
            "name": "Audit of access to the company's platform accounts",
            "purposes": "secure the company's social-media and e-commerce accounts: who holds which role, remove "
                        "access no longer needed, detect risky settings (Art. 6(1)(f); Art. 32(1)(b) and (d))",
            "data_subjects": "employees, contractors, agency staff and other holders of roles on the company's "
                             "platform accounts",
            "data_categories": "directory identity (uid, name, e-mail addresses, department, manager, status, end "
                               "date); platform account ids, names, e-mail addresses, 2FA status, last activity; "
                               "roles held; apps authorised; platform activity-log entries; findings",
            "recipients": "IT administrators, security officers and auditors using the tool",
            "sources": f"company directory ({settings.directory.kind}); platforms: {', '.join(platforms)}",
            "retention": f"inventory while the access exists, then as evidence; activity-log entries "
                         f"{dsar.keep_audit_events_days} days; scan history {dsar.keep_scans_days} days; evidence "
                         f"about a leaver's access {dsar.legal_hold_days} days after the departure (Art. 17(3)(e))",
        },
        {
            "id": "offboarding",
            "name": "Offboarding of leavers",
            "purposes": "check that a leaver's access is removed on every platform and keep proof of it",
            "data_subjects": "leavers (employees and contractors)",
            "data_categories": "uid, name, e-mail addresses, last working day, manager, access items and checks",
            "recipients": "HR, security officers, IT administrators",
            "sources": "HR system (webhook) or HR staff; the platforms",
            "retention": f"{dsar.keep_offboarding_cases_days} days after the case is closed",
        },
        {
            "id": "data-subject-requests",
            "name": "Register of data-subject requests",
            "purposes": "answer requests under Art. 15 to 22 on time and document the answers (Art. 6(1)(c), "
                        "Art. 5(2))",
            "data_subjects": "people who make a request (customers, staff, others)",
            "data_categories": "name, e-mail addresses, platform handles, identity verification, correspondence "
                               "notes, the answer pack's hash",
            "recipients": "security officer, data protection officer",
            "sources": "the requester",
            "retention": f"{dsar.keep_requests_days} days after the request is closed",
        },
        {
            "id": "tool-users",
            "name": "Users of the auditor",
            "purposes": "authenticate the tool's users and keep an audit trail of their actions (Art. 32)",
            "data_subjects": "the tool's users",
            "data_categories": "username, display name, role, password hash, encrypted TOTP seed, sessions, login "
                               "attempts, audit trail of actions",
            "recipients": "administrators of the tool",
            "sources": "the users and the administrators who create them",
            "retention": "while the account exists; sessions until they expire",
        },
        {
            "id": "reports",
            "name": "Audit reports",
            "purposes": "give security officers and auditors evidence of access reviews",
            "data_subjects": "the people named in findings and reviews",
            "data_categories": "names, e-mail addresses and roles in findings and reviews; who generated a report",
            "recipients": "security officers, auditors, management",
            "sources": "the auditor's database",
            "retention": "register of reports kept with the scans it refers to",
        },
    ]
    return {
        "controller": {"name": dsar.controller_name, "address": dsar.controller_address,
                       "contact_email": dsar.contact_email, "dpo_contact": dsar.dpo_contact},
        "activities": [{**common, **activity} for activity in activities],
        "security_measures": security,
    }
