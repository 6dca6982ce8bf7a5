"""``auditor init``: a commented sample configuration."""

from __future__ import annotations

from pathlib import Path

from auditor.errors import ConfigError

SAMPLE_CONFIG = '''\
# auditor configuration. Secrets are never written here: every *_env key names an environment
# variable (or a NAME=value line of the file named by secrets_file).
# Every key can be overridden from the environment: AUDITOR_STORAGE_URL, AUDITOR_DIRECTORY_URL, ...

# secrets_file = "/etc/auditor/secrets.env"   # optional NAME=value file, mode 0600
# language = "en"

[storage]
url = "sqlite:///auditor.db"                 # or "postgresql+psycopg://auditor@db.example.com/auditor"

[directory]
kind = "ldap"                                # "ldap" | "ldif"
url = "ldaps://ldap.example.com:636"         # or ldap://... with start_tls = true
bind_dn = "cn=auditor,ou=services,dc=example,dc=com"
password_env = "AUDITOR_LDAP_PASSWORD"
base_dn = "ou=people,dc=example,dc=com"
flavor = "openldap"                          # "openldap" | "ad"
# start_tls = false
# ca_file = "/etc/ssl/certs/company-ca.pem"   # certificates are always verified
# connect_timeout = 10
# receive_timeout = 30
# page_size = 1000
# user_filter = "(objectClass=inetOrgPerson)"
# alias_attributes = ["mailAlternateAddress"]
# end_date_attribute = "description"         # contract end / departure date (YYYY-MM-DD or generalized time)
# leavers_ou = "ou=leavers,dc=example,dc=com"
# [[directory.status_rules]]
# attribute = "employeeType"
# equals = "contractor"
# kind = "contractor"
# path = "people.ldif"                       # when kind = "ldif"

[[platform]]
kind = "meta"
name = "Acme on Meta"
base_url = "https://graph.facebook.com/v25.0"
business_id = "1234567890"
token_env = "AUDITOR_META_TOKEN"             # a system-user token with read scopes only
# inspect_tokens = ["AUDITOR_META_INTEGRATION_TOKEN"]   # other tokens whose scopes are audited
# page_size = 100
# timeout = 20
# max_retries = 4

[matching]
company_domains = ["example.com"]
# links_file = "links.yaml"                  # manual account -> person links
# [[matching.service_accounts]]
# platform = "Acme on Meta"
# account_id = "1000000000001"
# owner = "jdoe"

[policies]
# path = "/etc/auditor/policies"             # default: the shipped rules
# parameters_file = "policy-parameters.yaml" # per-rule parameters (allow-lists, approved apps, ...)
# exceptions_file = "exceptions.yaml"        # approved risk exceptions with reason, approver, expiry

# [web]                                      # auditor serve; keys come from the environment
# secret_key_env = "AUDITOR_SECRET_KEY"
# encryption_key_env = "AUDITOR_ENCRYPTION_KEY"   # encrypts TOTP seeds at rest

# [scheduler]                                # auditor scheduler
# timezone = "Europe/Warsaw"
# scan_cron = { "*" = "0 6 * * *" }          # platform name (or "*") -> cron
# directory_sync_cron = "30 5 * * *"
# report_cron = { audit = "0 7 1 * *" }
# retention_cron = "0 3 * * 0"

# [notifications]
# enabled = true
# smtp_host = "smtp.example.com"
# email_from = "auditor@example.com"
# email_to = ["security@example.com"]
# webhook_url_env = "AUDITOR_NOTIFY_WEBHOOK_URL"   # Slack / Teams incoming webhook

# [offboarding]                              # POST /api/offboarding, signed with HMAC-SHA256
# webhook_secret_env = "AUDITOR_HR_WEBHOOK_SECRET"
# deadline_business_days = 1
# revocation_platforms = []                 # opt in per platform; a security officer approves each call

# [dsar]                                     # GDPR data-access requests
# controller_name = "Example Shop Ltd"
# contact_email = "privacy@example.com"
'''


def write_sample_config(path: Path, *, force: bool = False) -> None:
    """Write the sample configuration to ``path``; refuse to overwrite unless ``force``."""
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    try:
        path.write_text(SAMPLE_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from exc
