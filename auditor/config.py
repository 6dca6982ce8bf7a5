"""One settings object: a TOML file plus ``AUDITOR_*`` environment overrides, validated by pydantic.

Secrets never live in the file: ``*_env`` keys name environment variables (or keys of a secrets file
given by ``secrets_file``). Paths of the shipped ``policies/``, ``reports/`` and ``templates/`` are
resolved here once.
"""

from __future__ import annotations

import os
import stat
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import ConfigError

DEFAULT_CONFIG = "auditor.toml"
PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Locate a shipped data folder (policies, reports, templates) in a wheel install or a source checkout."""
    installed = PACKAGE_DIR / "_shipped" / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    """Where findings, scans and inventory are stored."""

    url: str = "sqlite:///auditor.db"


class StatusRule(_Section):
    """A configurable directory status rule: when ``attribute`` matches, the person gets ``status``/``kind``."""

    attribute: str
    equals: str | None = None
    status: Literal["active", "disabled", "departed"] | None = None
    kind: Literal["employee", "contractor", "service"] | None = None


class DirectorySettings(_Section):
    """The company directory: an LDAP server (OpenLDAP or Active Directory) or an LDIF file."""

    kind: Literal["ldap", "ldif"] = "ldif"
    url: str | None = None
    bind_dn: str | None = None
    password_env: str | None = None
    base_dn: str | None = None
    flavor: Literal["openldap", "ad"] = "openldap"
    path: str | None = None
    start_tls: bool = False
    ca_file: str | None = None
    connect_timeout: float = 10.0
    receive_timeout: float = 30.0
    page_size: int = Field(default=1000, ge=1, le=1000)
    user_filter: str | None = None
    alias_attributes: list[str] = Field(default_factory=list)
    end_date_attribute: str | None = None
    leavers_ou: str | None = None
    status_rules: list[StatusRule] = Field(default_factory=list)
    ldif_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1, description="largest LDIF file read")
    ldif_max_line_bytes: int = Field(default=1024 * 1024, ge=80, description="longest LDIF line or folded value")
    urls: list[str] = Field(
        default_factory=list,
        description="more servers (replicas, domain controllers) tried in order after url: first reachable",
    )
    incremental: bool = Field(
        default=False, description="ldap: read only entries changed since the last sync (plus a DN-only listing)"
    )
    full_sync_hours: float = Field(
        default=24.0, gt=0, le=24 * 31, description="incremental: a full read at least this often (safety net)"
    )
    sync_overlap_seconds: int = Field(
        default=600, ge=0, le=86400,
        description="incremental (OpenLDAP): re-read entries changed this long before the newest change seen "
        "(longer than a read and than replication lag)",
    )
    state_file: str | None = Field(
        default=None, description="incremental: where the last read is kept (default <data_dir>/directory-state.json)"
    )

    @field_validator("urls")
    @classmethod
    def _ldap_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.lower().startswith(("ldap://", "ldaps://")):
                raise ValueError(f"expected ldap://host[:port] or ldaps://host[:port], got {url!r}")
        return urls


class PlatformSettings(_Section):
    """One platform tenant to scan. Connector-specific keys go in ``options``, which the loader validates
    against the options model of the platform's ``kind`` (see ``auditor.connectors.base.ConnectorOptions``)."""

    kind: str
    name: str
    base_url: str | None = None
    token_env: str | None = None
    business_id: str | None = None
    tenant_id: str | None = None
    page_size: int = Field(default=100, ge=1, le=1000)
    timeout: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0)
    inspect_tokens: list[str] = Field(default_factory=list, description="env var names of tokens to debug")
    activity_days: int = Field(default=180, ge=1, le=3650, description="audit-log window read on each scan")
    options: dict[str, Any] = Field(default_factory=dict)


class ServiceAccount(_Section):
    """A registered service or shared account: not a person, but it needs an owner."""

    platform: str
    account_id: str | None = None
    email: str | None = None
    owner: str | None = None
    note: str | None = None


class ManualLink(_Section):
    """An explicit link of a platform account to a directory person."""

    platform: str
    account_id: str | None = None
    email: str | None = None
    uid: str


class MatchingSettings(_Section):
    """How platform accounts are linked to directory people."""

    company_domains: list[str] = Field(default_factory=list)
    personal_domains: list[str] = Field(
        default_factory=lambda: [
            "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "icloud.com",
            "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "wp.pl", "o2.pl",
            "onet.pl", "interia.pl", "yandex.ru", "mail.ru",
        ]
    )
    links_file: str | None = None
    links: list[ManualLink] = Field(default_factory=list)
    service_accounts: list[ServiceAccount] = Field(default_factory=list)


class PolicySettings(_Section):
    """Where rules and approved exceptions live (default: the shipped policies)."""

    path: str | None = None
    parameters_file: str | None = None
    exceptions_file: str | None = None


class SandboxSettings(_Section):
    """The built-in emulators: platforms whose base_url is ``sandbox://KIND`` are served in-process.

    ``epoch`` is the moment the fictional company's dates are relative to (the demo sets it when it creates
    the workspace), so every scan sees the same data and stored events are not duplicated.
    """

    company_seed: int = 7
    epoch: datetime | None = None


class WebSettings(_Section):
    """The web UI (owned by the web area; see auditor/web).

    ``secret_key_env`` names the variable holding the key that signs CSRF tokens (at least 32 characters);
    ``encryption_key_env`` the one holding the key that encrypts TOTP seeds at rest (32 bytes, urlsafe
    base64). ``cookie_secure`` false drops the Secure flag and the ``__Host-`` prefix: only for plain HTTP
    on a host other than localhost, never in production.
    """

    secret_key_env: str = "AUDITOR_SECRET_KEY"  # noqa: S105 - a variable name
    encryption_key_env: str = "AUDITOR_ENCRYPTION_KEY"
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    threads: int = Field(default=8, ge=1, le=64)
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    pending_login_minutes: int = Field(default=5, ge=1, le=60)
    max_failed_logins: int = Field(default=10, ge=3, le=100, description="per account, then locked")
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    cookie_secure: bool = True
    totp_issuer: str = "auditor"
    page_size: int = Field(default=50, ge=10, le=500)
    max_exception_days: int = Field(default=365, ge=1, le=3 * 365)


class ReportSettings(_Section):
    """PDF reports (owned by the reporting area; see auditor/reporting).

    ``output_dir`` (relative to the config file) receives PDFs written without an explicit path;
    ``organisation`` is printed on every cover; ``max_listed_findings`` caps the full finding table of an
    audit and ``max_detailed_findings`` its critical/high detail section (the rest is counted and left to
    ``auditor findings --format csv``); ``max_review_accounts`` refuses an access review too large to print
    (narrow it by platform or person); ``expiry_warning_days`` flags risk exceptions that expire soon.
    WeasyPrint lays out roughly four pages a second. The language is the top-level ``language`` key.
    """

    output_dir: str = "reports-out"
    organisation: str | None = None
    paper: Literal["A4", "letter"] = "A4"
    max_listed_findings: int = Field(default=2000, ge=10, le=20000)
    max_detailed_findings: int = Field(default=500, ge=10, le=20000)
    max_review_accounts: int = Field(default=5000, ge=10, le=100000)
    max_listed_events: int = Field(default=200, ge=10, le=5000)
    expiry_warning_days: int = Field(default=30, ge=1, le=365)


class SchedulerSettings(_Section):
    """Scheduled jobs (owned by the scheduler area; see auditor/scheduler.py).

    Cron expressions have five fields (minute hour day month day-of-week) and run in ``timezone``.
    ``scan_cron`` maps a platform name (or ``"*"``: every platform not named) to when it is scanned;
    ``report_cron`` maps a report kind (``audit``, ``access-review``) to when it is built and delivered.
    A run missed while no scheduler was up runs once on start when it is at most ``misfire_grace_seconds``
    late (several missed runs of one job coalesce into one). ``lock_stale_seconds``: on SQLite, a job lock
    whose holder stopped refreshing it for this long is taken over (PostgreSQL releases advisory locks of
    dead connections itself). ``retention_days``: run-ledger rows and webhook event ids older than this are
    deleted by the retention job.
    """

    timezone: str = "UTC"
    scan_cron: dict[str, str] = Field(default_factory=dict)
    directory_sync_cron: str | None = None
    report_cron: dict[str, str] = Field(default_factory=dict)
    retention_cron: str | None = None
    review_cron: str | None = None  # access reviews: recurring campaigns, follow-through, reminders
    misfire_grace_seconds: int = Field(default=86_400, ge=1)
    lock_stale_seconds: int = Field(default=600, ge=30)
    max_workers: int = Field(default=4, ge=1, le=32)
    retention_days: int = Field(default=400, ge=1)


class NotificationSettings(_Section):
    """Email and webhook notifications (owned by the scheduler area).

    Sent after a scheduled scan that opened or reopened findings at or above ``min_severity`` or could not
    verify a platform, and when an offboarding case escalates. Email goes by SMTP (``smtp_starttls`` upgrades
    the connection before any login; ``smtp_ca_file`` trusts a private CA); the webhook receives a JSON
    payload with a ``text`` field (Slack and Teams incoming webhooks show it) plus the structured notice.
    The webhook URL is a secret (Slack and Teams put the credential in it): ``webhook_url_env`` names it.
    """

    enabled: bool = False
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "high"
    max_listed: int = Field(default=25, ge=1, le=500)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_ca_file: str | None = None
    smtp_username: str | None = None
    smtp_password_env: str | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    email_from: str | None = None
    email_to: list[str] = Field(default_factory=list)
    webhook_url_env: str | None = None
    webhook_format: Literal["auto", "slack", "teams"] = Field(
        default="auto", description="how the webhook's text is escaped; auto: from the URL's host")
    webhook_timeout: float = Field(default=10.0, gt=0)
    web_url: str | None = None


class OffboardingSettings(_Section):
    """HR offboarding cases and revocation (owned by the offboarding area).

    The HR webhook is signed with the secret ``webhook_secret_env`` names (HMAC-SHA256). Access must be gone
    ``deadline_business_days`` business days after the last working day (ends of days in ``timezone``;
    Saturdays, Sundays and ``holidays``, ISO dates, are not business days); past it the case escalates.
    Open cases are re-checked every ``recheck_minutes`` by the scheduler (0: never). Revocation is off unless
    a platform is named in ``revocation_platforms``; a security officer approves each proposed call.
    """

    webhook_secret_env: str = "AUDITOR_HR_WEBHOOK_SECRET"  # noqa: S105 - a variable name
    max_body_bytes: int = Field(default=65_536, ge=1024, le=1_048_576)
    deadline_business_days: int = Field(default=1, ge=0, le=30)
    timezone: str = "UTC"
    holidays: list[str] = Field(default_factory=list)
    recheck_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    revocation_platforms: list[str] = Field(default_factory=list)
    evidence_report: bool = True


class DsarSettings(_Section):
    """GDPR data-subject requests (owned by the DSAR area; see auditor/dsar).

    The controller block and the Art. 15(1)(a)-(h) texts fill the answer letter and export; a text left unset
    uses the shipped default of the answer's language (``reports/dsar/i18n``). Each text is one string for
    every language or a table ``{en = "...", pl = "..."}``. ``timezone`` is the calendar of receipt and due
    dates. The ``keep_*_days`` keys are the auditor's own retention of personal data, applied by the scheduled
    retention job; ``legal_hold_days`` keeps evidence about a leaver's access that long after the departure,
    also against an erasure request (Art. 17(3)(e), legal claims).
    """

    controller_name: str | None = None
    controller_address: str | None = None
    contact_email: str | None = None
    dpo_contact: str | None = None
    timezone: str = "UTC"
    default_owner: str | None = None
    reminder_days: int = Field(default=7, ge=1, le=31)
    escalation_days: int = Field(default=3, ge=0, le=31)
    max_rows_in_letter: int = Field(default=200, ge=10, le=5000, description="per category; the export has all")
    purposes: str | dict[str, str] | None = None  # (a)
    categories_note: str | dict[str, str] | None = None  # (b), besides the categories found
    recipients: str | dict[str, str] | None = None  # (c)
    retention: str | dict[str, str] | None = None  # (d)
    rights: str | dict[str, str] | None = None  # (e)
    complaint_authority: str | dict[str, str] | None = None  # (f)
    source: str | dict[str, str] | None = None  # (g)
    automated_decisions: str | dict[str, str] | None = None  # (h)
    keep_audit_events_days: int = Field(default=400, ge=30, le=3650)
    keep_scans_days: int = Field(default=400, ge=30, le=3650)
    keep_offboarding_cases_days: int = Field(default=1095, ge=30, le=3650, description="after the case closed")
    keep_requests_days: int = Field(default=1095, ge=30, le=3650, description="after the request closed")
    legal_hold_days: int = Field(default=1095, ge=0, le=3650, description="after a leaver's departure")


class PushSettings(_Section):
    """Scheduled push of findings to a SIEM or collector (see auditor/findings/push.py).

    ``target`` ``syslog``: RFC 5424 messages over TCP (``tls`` true: over TLS, ``ca_file`` a private CA) with
    RFC 6587 octet-counting framing to ``host``:``port``; ``http``: a JSON Lines POST to ``url`` (a bearer
    token from the variable ``token_env`` names, when set). Each finding is sent once per status: what was sent
    is remembered in ``state_file`` (relative to the config file), so a re-run sends only what changed.
    """

    target: Literal["syslog", "http"] | None = None
    cron: str | None = None
    format: Literal["ocsf", "defectdojo"] = "ocsf"
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "info"
    host: str | None = None
    port: int = Field(default=6514, ge=1, le=65535)
    tls: bool = True
    ca_file: str | None = None
    url: str | None = None
    token_env: str | None = None
    timeout: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    state_file: str = "push-state.json"
    app_name: str = "auditor"


class OpsSettings(_Section):
    """Operations: Prometheus metrics, logs and the reverse proxy (see auditor/web/ops.py, auditor/metrics.py).

    ``/metrics`` answers only a request carrying ``Authorization: Bearer <token>`` with the token in the
    variable ``metrics_token_env`` names (no token set: 404); ``metrics_port`` (the scheduler) serves the
    metrics on a separate port instead, bound to ``metrics_host``. ``log_format`` ``json`` writes one JSON
    object per line with secrets redacted. ``trusted_proxies``: how many reverse proxies in front set
    ``X-Forwarded-For/-Proto/-Host`` (0: the headers are ignored).
    """

    metrics_token_env: str = "AUDITOR_METRICS_TOKEN"  # noqa: S105 - a variable name
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    trusted_proxies: int = Field(default=0, ge=0, le=5)


class OidcSettings(_Section):
    """Single sign-on with an OpenID Provider (see auditor/accounts/oidc.py and auditor/web/sso.py).

    ``issuer`` is discovered at ``<issuer>/.well-known/openid-configuration`` (https; http only on loopback, for
    tests). ``client_secret_env`` names the variable holding the client secret (unset: a public client, PKCE
    only). ``group_roles`` maps a value of the ``groups_claim`` to a role; the first listed group the user is
    in wins, and a user in no listed group is refused. ``local_login = false`` turns password sign-in off for
    everyone except ``break_glass_admin`` (who can never sign in by SSO).
    """

    issuer: str
    client_id: str
    client_secret_env: str | None = None
    provider_name: str = "your identity provider"
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    group_roles: dict[str, str] = Field(default_factory=dict)
    local_login: bool = True
    break_glass_admin: str | None = None
    leeway_seconds: int = Field(default=60, ge=0, le=600)
    public_url: str | None = None  # base URL the IdP redirects back to (default: the request's host URL)


class Settings(_Section):
    """The whole configuration."""

    storage: StorageSettings = StorageSettings()
    directory: DirectorySettings = DirectorySettings()
    platform: list[PlatformSettings] = Field(default_factory=list)
    matching: MatchingSettings = MatchingSettings()
    policies: PolicySettings = PolicySettings()
    sandbox: SandboxSettings = SandboxSettings()
    web: WebSettings = WebSettings()
    reports: ReportSettings = ReportSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    notifications: NotificationSettings = NotificationSettings()
    offboarding: OffboardingSettings = OffboardingSettings()
    dsar: DsarSettings = DsarSettings()
    push: PushSettings = PushSettings()
    ops: OpsSettings = OpsSettings()
    oidc: OidcSettings | None = None
    secrets_file: str | None = None
    data_dir: str | None = None
    language: str = "en"
    timezone: str = "UTC"  # the time zone every page, report, table and notice shows times in
    source: str | None = Field(default=None, exclude=True)

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the config are resolved against (the config file's folder)."""
        return Path(self.source).resolve().parent if self.source else Path.cwd()

    def resolve_path(self, value: str | None) -> Path | None:
        """Resolve a path from the config relative to the config file."""
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def policies_dir(self) -> Path:
        """The rules folder."""
        return self.resolve_path(self.policies.path) or shipped_dir("policies")

    @property
    def reports_dir(self) -> Path:
        """The report definitions folder."""
        return shipped_dir("reports")

    @property
    def templates_dir(self) -> Path:
        """The web templates folder."""
        return shipped_dir("templates")

    @property
    def storage_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config folder."""
        url = self.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str(self.base_dir / url[len(prefix):])
        return url

    def secret(self, env_name: str | None, *, key: str) -> str:
        """Read a secret named by an ``*_env`` key from the environment or the secrets file."""
        if not env_name:
            raise ConfigError(f"{self.source or 'config'}: {key} is not set (name an environment variable)")
        value = os.environ.get(env_name)
        if value is None and self.secrets_file:
            value = _read_secrets_file(self.resolve_path(self.secrets_file)).get(env_name)
        if not value:
            raise ConfigError(
                f"{self.source or 'config'}: {key} names environment variable {env_name}, which is not set"
            )
        return value


class SecretsFileError(ConfigError):
    """The secrets file is unreadable, malformed or open to others: the message says which and how to fix it."""


def _read_secrets_file(path: Path | None) -> dict[str, str]:
    """Parse a ``NAME=value`` secrets file (comments and blank lines ignored); refuse one that the group or others
    may read or write (ConfigError naming the file and its mode)."""
    if path is None:
        return {}
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretsFileError(f"{path}: secrets file has mode {mode:04o}, so others can read or change it: "
                              f"run chmod 600 {path}")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretsFileError(f"{path}: cannot read secrets file: {exc.strerror}") from exc
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise SecretsFileError(f"{path}: line {number}: expected NAME=value")
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


_ENV_SECTIONS = {
    "storage", "directory", "policies", "sandbox", "web", "reports",
    "scheduler", "notifications", "offboarding", "dsar", "push", "ops",
}


def _env_overrides(data: dict[str, Any], environ: dict[str, str]) -> None:
    """Apply ``AUDITOR_SECTION_KEY=value`` overrides, e.g. ``AUDITOR_STORAGE_URL``."""
    for name, value in environ.items():
        if not name.startswith("AUDITOR_") or name == "AUDITOR_CONFIG":
            continue
        rest = name[len("AUDITOR_"):].lower()
        section, _, key = rest.partition("_")
        if section in _ENV_SECTIONS and key:
            data.setdefault(section, {})[key] = value
        elif rest in {"data_dir", "language", "secrets_file"}:
            data[rest] = value


def load_settings(path: str | os.PathLike[str] | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Load and validate the configuration; a bad file raises ConfigError naming the file and key."""
    environ = dict(os.environ if environ is None else environ)
    explicit = path is not None or "AUDITOR_CONFIG" in environ
    config_path = Path(path or environ.get("AUDITOR_CONFIG") or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{config_path}: not UTF-8 text") from exc
    elif explicit:
        raise ConfigError(f"{config_path}: config file not found")
    _env_overrides(data, environ)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{config_path}: {key}: {first['msg']}") from exc
    names = [p.name for p in settings.platform]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{config_path}: platform.name: duplicate name {duplicates[0]!r}")
    _check_platforms(settings, config_path)
    return settings.model_copy(update={"source": str(config_path.resolve()) if config_path.exists() else None})


def _check_platforms(settings: Settings, config_path: Path) -> None:
    """Every platform's kind is a registered connector and its options fit that kind's options model."""
    from auditor.connectors.base import platform_options  # here: the connectors import this module

    for platform in settings.platform:
        try:
            platform_options(platform)
        except ConfigError as exc:
            raise ConfigError(f"{config_path}: {exc}") from None
