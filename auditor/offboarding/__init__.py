"""HR offboarding: a leaver's access is checked on every platform until it is gone, with proof.

- ``webhook``: HMAC-SHA256 verification of the HR system's signed request and the schema of its body;
- ``check``: the targeted check (each connector's ``lookup`` for the person's addresses and known account
  ids) and what it observed, item by item;
- ``cases``: the case in the database: open, seed from the last scan, apply a check, close as clean,
  escalate past the deadline (``deadline`` computes it in business days);
- ``revocation``: the separate, opt-in capability to remove access through a platform's API, proposed by
  the tool and run only after a security officer approved it, every call recorded.

The use-cases the edges call live in ``auditor.offboarding.use_cases``.
"""
