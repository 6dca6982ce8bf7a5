"""PDF reports: view-models built by read queries, Jinja2 layouts under ``reports/``, WeasyPrint rendering.

A report is plain JSON-ready data (the view-model, built in ``audit``, ``access_review`` and ``offboarding``),
hashed into a content manifest (``manifest``), drawn with the layouts and stylesheet of ``reports/`` in the
configured language (``i18n``) with server-side SVG charts (``charts``), rendered by WeasyPrint (``render``)
and recorded in the register (``register``) so ``verify`` can later tell a genuine PDF from a tampered one.
The use-cases the edges call live in ``auditor.reporting.use_cases``.
"""
