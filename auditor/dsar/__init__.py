"""GDPR data-subject requests: the register with its Art. 12(3) deadlines, collection across the company's
sources, the answer pack (PDF letter + JSON/CSV export), and the auditor's own data protection.

Modules, each with one job:

- ``deadlines``: the due-date arithmetic as the ICO counts it (pure functions);
- ``register``: the request lifecycle over the ``dsar_*`` tables (``auditor.dsar.tables``);
- ``collect`` (with ``records`` and ``redact``): every source searched, its result, the data found, other people
  withheld;
- ``pack`` (with ``letter``): the answer pack, its schema (``schema/dsar-export.schema.json``) and its hashes;
- ``retention`` and ``erasure``: the auditor's own retention policy, erasure on request with the legal-claims
  exception;
- ``processing``: the Art. 30 records of processing of the auditor itself.

Use-cases for the CLI, the web UI and the scheduler are in ``auditor.dsar.use_cases``.
"""
