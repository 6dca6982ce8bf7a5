"""The web UI's languages (English and Polish) with Flask-Babel and gettext message catalogues.

The language of a request: the signed-in user's setting (``web_user.language``) when set, else the best match
of the browser's ``Accept-Language`` among :data:`LANGUAGES`, else English. Templates mark their text with
``{% trans %}`` / ``_()``; views mark flash messages with :func:`gettext`. The catalogue is
``auditor/web/translations/pl/LC_MESSAGES/messages.po`` (extracted with ``pybabel extract -F babel.cfg``); its
compiled ``messages.mo`` is kept beside it (built with ``pybabel compile -d auditor/web/translations``), so an
installed, read-only copy needs no write at start; ``tests/web/test_i18n.py`` fails when the ``.mo`` differs
from the ``.po``, a marked string is missing from the catalogue or untranslated, or a template shows unmarked text.
The commands are at the top of ``babel.cfg``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as gettext
from flask_babel import lazy_gettext as lazy_gettext
from flask_babel import ngettext as ngettext

LANGUAGES: dict[str, str] = {"en": "English", "pl": "Polski"}
"""The UI languages, each by its own name (as the account page offers them)."""
DEFAULT = "en"


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue without translating it here (gettext's no-op marker)."""
    return text


ROLE_MSGIDS = (
    N_("Administrator"),
    N_("Security officer"),
    N_("HR"),
    N_("Auditor (read-only)"),
    N_("Data protection officer"),
    N_("Access reviewer"),
)
"""The role labels of ``auditor.accounts.roles.ROLE_LABELS`` as catalogue entries (a test keeps the two equal);
templates show them with ``role_label(role)``."""
TERMS = frozenset((
    N_("critical"), N_("high"), N_("medium"), N_("low"), N_("info"),
    N_("open"), N_("resolved"), N_("acknowledged"), N_("accepted"), N_("excepted"), N_("opened"), N_("reopened"),
    N_("complete"), N_("partial"), N_("failed"), N_("running"), N_("all"), N_("unacknowledged"),
    N_("orphaned access"), N_("unmatched account"), N_("post departure activity"), N_("missing 2fa"),
    N_("excess app scope"), N_("ownerless service account"), N_("stale invitation"), N_("partner access"),
    N_("could not verify"), N_("personal email"), N_("tenant 2fa not enforced"), N_("unapproved app"),
    N_("dormant access"), N_("excess admins"), N_("contract expired"),
    N_("yes"), N_("no"), N_("unknown"), N_("enabled"), N_("disabled"),
    N_("active"), N_("departed"), N_("employee"), N_("contractor"), N_("service"), N_("user"),
    N_("access"), N_("erasure"), N_("rectification"), N_("identity"), N_("clarification"),
    N_("email"), N_("web"), N_("post"), N_("phone"), N_("in person"), N_("other"),
    N_("keep"), N_("revoke"), N_("change role"), N_("closed"), N_("extended"),
))
"""Machine values shown as words (severities, statuses, finding categories, directory and request vocabularies):
the ``label`` and ``tri`` filters and ``term()`` translate these; any other value is shown as its words."""
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    """The request's language: the user's setting, else the browser's Accept-Language among ours, else English."""
    user = g.get("user")
    chosen = getattr(user, "language", None) if user is not None else None
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(tuple(LANGUAGES), default=DEFAULT) or DEFAULT


def language() -> str:
    """The current request's language code (``en``/``pl``); English outside a request."""
    try:
        locale = get_locale()
    except (RuntimeError, AttributeError):
        return DEFAULT
    code = locale.language if locale is not None else DEFAULT
    return code if code in LANGUAGES else DEFAULT


def role_label(role: str) -> str:
    """A role's label in the request's language (the role id itself when unknown)."""
    from auditor.accounts.roles import ROLE_LABELS

    label = ROLE_LABELS.get(role)
    return gettext(label) if label else role


def term(value: object) -> str:
    """A machine value (``orphaned_access``) as words in the request's language ('-' for None)."""
    if value in (None, ""):
        return "-"
    return translated(str(value).replace("_", " "))


def translated(words: str) -> str:
    """``words`` in the request's language when they are one of :data:`TERMS`, else as they are."""
    return gettext(words) if words in TERMS else words


def tri(value: object) -> str:
    """Tri-state flags as yes / no / unknown in the request's language."""
    return translated("unknown" if value is None else ("yes" if value else "no"))


def install(app: Flask) -> None:
    """Set Flask-Babel up on ``app`` (``_``/``gettext``/``ngettext`` in templates, autoescaped) and expose the
    current language to templates as ``ui_language``."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(role_label=role_label, term=term)
    app.jinja_env.filters.update(label=term, tri=tri)
    app.context_processor(lambda: {"ui_language": language(), "ui_languages": LANGUAGES})
