"""A private OpenLDAP slapd for tests: a foreground child process on a free 127.0.0.1 port.

``start_slapd(tmp_dir, suffix, ldif_text)`` writes a ``slapd.conf`` (mdb backend, core / cosine /
inetorgperson / nis schemas, the ppolicy module for ``pwdAccountLockedTime``), loads the data with
``slapadd -q`` before starting (fast), starts ``slapd -d 0`` (foreground, so the test owns the process),
polls until it answers a root DSE search and returns a ``SlapdHandle``; ``handle.stop()`` ends it.

``ad_schema=True`` adds Debian's ``msuser.schema`` (Active Directory attribute names). The stock file gives
sAMAccountName, proxyAddresses and objectCategory no EQUALITY rule, so slapd can never match them in a
filter; the helper loads a copy with those three rules added (nothing else changes; the AD bit-test
matching rule 1.2.840.113556.1.4.803 works on the stock userAccountControl). msuser's ``user`` class allows
no sAMAccountName either: AD-shaped entries add ``objectClass: extensibleObject``.

``tls=True`` also serves ldaps:// (and StartTLS on ldap://) with a certificate for 127.0.0.1 issued by a
throwaway CA made here; ``handle.ca_file`` is that CA's PEM.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA_DIRS = (Path("/etc/ldap/schema"), Path("/etc/openldap/schema"), Path("/usr/local/etc/openldap/schema"))
MODULE_DIRS = (Path("/usr/lib/ldap"), Path("/usr/lib64/openldap"), Path("/usr/lib/openldap"))
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/libexec/openldap", "/usr/local/libexec")
START_TIMEOUT = 15.0

_MSUSER_EQUALITY = {
    "sAMAccountName": "EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch",
    "proxyAddresses": "EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch",
    "objectCategory": "EQUALITY distinguishedNameMatch",
}


class SlapdError(RuntimeError):
    """slapd (or slapadd) is missing, rejected the configuration or data, or did not start."""


@dataclass
class SlapdHandle:
    """A running private slapd: where it listens, how to bind as its root DN, and ``stop()``."""

    url: str
    bind_dn: str
    password: str = field(repr=False)
    base_dn: str
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    ldaps_url: str | None = None
    ca_file: Path | None = None

    def stop(self) -> None:
        """Terminate slapd and wait for it (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> SlapdHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_program(name: str) -> str:
    """Locate an OpenLDAP program (in PATH or an sbin folder); SlapdError says what to install if missing."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN_DIRS))
    if not found:
        raise SlapdError(
            f"{name} not found: the directory tests need a real OpenLDAP server "
            "(Debian: apt-get install -y slapd ldap-utils)"
        )
    return found


def start_slapd(
    tmp_dir: Path | str,
    suffix: str,
    ldif_text: str,
    *,
    ad_schema: bool = False,
    tls: bool = False,
    extra_schema: str = "",
    extra_config: str = "",
    syncprov: bool = False,
) -> SlapdHandle:
    """Start a private slapd serving ``suffix`` with ``ldif_text`` loaded; the caller must ``stop()`` it.

    The suffix entry itself is added when ``ldif_text`` lacks it (``dc=``, ``o=`` or ``ou=`` suffixes).
    The root DN is ``cn=admin,<suffix>`` with a random password. ``extra_schema`` is schema text (slapd.conf
    syntax) loaded after the standard ones; ``extra_config`` lines go at the end of the database section
    (``limits``, ``access``, ``index`` ...). ``syncprov`` loads the syncprov overlay (as a replicated
    OpenLDAP has it), which keeps the naming context's ``contextCSN``; the data is loaded with it (``slapadd -w``).
    """
    slapd, slapadd = find_program("slapd"), find_program("slapadd")
    workdir = Path(tmp_dir)
    (workdir / "db").mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    bind_dn = f"cn=admin,{suffix}"
    tls_files = make_tls_files(workdir) if tls else None
    config = workdir / "slapd.conf"
    schemas = _schema_files(workdir, ad_schema=ad_schema, extra_schema=extra_schema)
    text = _config_text(workdir, suffix, bind_dn, password, schemas=schemas, tls_files=tls_files,
                        syncprov=syncprov)
    config.write_text(text + extra_config.strip() + "\n", encoding="utf-8")
    data = workdir / "data.ldif"
    data.write_text(_with_suffix_entry(suffix, ldif_text), encoding="utf-8")
    loaded = subprocess.run(
        [slapadd, "-q", *(["-w"] if syncprov else []), "-f", str(config), "-l", str(data)],
        capture_output=True, text=True, timeout=120,
    )
    if loaded.returncode != 0:
        raise SlapdError(f"slapadd failed (exit {loaded.returncode}): {loaded.stderr.strip()[-2000:]}")

    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probing and slapd's bind: retry
        port = _free_port()
        url = f"ldap://127.0.0.1:{port}"
        ldaps_port = _free_port() if tls else None
        while ldaps_port == port:
            ldaps_port = _free_port()
        ldaps_url = f"ldaps://127.0.0.1:{ldaps_port}" if ldaps_port else None
        listen = " ".join(u + "/" for u in (url, ldaps_url) if u)
        log_path = workdir / "slapd.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [slapd, "-f", str(config), "-h", listen, "-d", "0"], stdout=log, stderr=subprocess.STDOUT
            )
        handle = SlapdHandle(
            url=url, bind_dn=bind_dn, password=password, base_dn=suffix, workdir=workdir, process=process,
            ldaps_url=ldaps_url, ca_file=tls_files[0] if tls_files else None,
        )
        try:
            _wait_until_ready(handle)
            atexit.register(handle.stop)  # no orphaned slapd if the caller's teardown never runs
            return handle
        except SlapdError as exc:
            handle.stop()
            last_error = f"{exc}; log: {log_path.read_text(errors='replace').strip()[-2000:]}"
    raise SlapdError(f"slapd did not start: {last_error}")


def _config_text(
    workdir: Path,
    suffix: str,
    bind_dn: str,
    password: str,
    *,
    schemas: list[Path],
    tls_files: tuple[Path, Path, Path] | None,
    syncprov: bool = False,
) -> str:
    lines = [f"include {path}" for path in schemas]
    module_dir = next((d for d in MODULE_DIRS if (d / "back_mdb.so").exists()), None)
    if module_dir is not None:  # Debian builds backends and overlays as modules
        lines += [f"modulepath {module_dir}", "moduleload back_mdb"]
        if (module_dir / "ppolicy.so").exists():
            lines.append("moduleload ppolicy")  # OpenLDAP 2.5: the overlay carries the ppolicy schema
        if syncprov:
            lines.append("moduleload syncprov")
    lines += [
        f"pidfile {workdir / 'slapd.pid'}",
        f"argsfile {workdir / 'slapd.args'}",
        "sizelimit unlimited",
    ]
    if tls_files:
        ca, cert, key = tls_files
        lines += [f"TLSCACertificateFile {ca}", f"TLSCertificateFile {cert}", f"TLSCertificateKeyFile {key}"]
    lines += [
        "database mdb",
        f'suffix "{suffix}"',
        f'rootdn "{bind_dn}"',
        f"rootpw {_ssha(password)}",
        f"directory {workdir / 'db'}",
        "maxsize 1073741824",
        "dbnosync",
        "index objectClass eq",
        "index uid,cn,mail eq",
    ]
    if syncprov:
        lines += ["index entryCSN,entryUUID eq", "overlay syncprov", "syncprov-checkpoint 100 10"]
    if any(path.name.startswith("msuser") for path in schemas):
        lines.append("index sAMAccountName eq")
    return "\n".join(lines) + "\n"


def _schema_files(workdir: Path, *, ad_schema: bool, extra_schema: str) -> list[Path]:
    """core, cosine, inetorgperson, nis, misc (mailLocalAddress), then msuser and the caller's schema."""
    schema_dir = next((d for d in SCHEMA_DIRS if (d / "core.schema").is_file()), None)
    if schema_dir is None:
        raise SlapdError(f"OpenLDAP schema files not found in any of {[str(d) for d in SCHEMA_DIRS]}")
    names = ("core", "cosine", "inetorgperson", "nis", "misc")
    schemas = [schema_dir / f"{name}.schema" for name in names]
    if ad_schema:
        schemas.append(_patched_msuser(schema_dir, workdir))
    if extra_schema.strip():
        extra = workdir / "extra.schema"
        extra.write_text(extra_schema, encoding="utf-8")
        schemas.append(extra)
    return schemas


def _patched_msuser(schema_dir: Path, workdir: Path) -> Path:
    """Copy msuser.schema adding EQUALITY rules to the attributes AD filters use (see module docstring)."""
    source = schema_dir / "msuser.schema"
    if not source.is_file():
        raise SlapdError(f"{source} not found (Debian's slapd package ships it)")
    text = source.read_text(encoding="utf-8")
    for name, rules in _MSUSER_EQUALITY.items():
        text, count = re.subn(rf"(NAME '{name}'\s+)(SYNTAX)", rf"\g<1>{rules} \g<2>", text)
        if count != 1:
            raise SlapdError(f"{source}: cannot find the definition of {name} to add {rules}")
    target = workdir / "msuser-equality.schema"
    target.write_text(text, encoding="utf-8")
    return target


def _ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - slapd's {SSHA} format
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _with_suffix_entry(suffix: str, ldif_text: str) -> str:
    """Prepend the suffix entry unless the LDIF already has it."""
    wanted = _norm_dn(suffix)
    for match in re.finditer(r"^dn:\s*(.+)$", ldif_text, flags=re.MULTILINE | re.IGNORECASE):
        if _norm_dn(match.group(1)) == wanted:
            return ldif_text
    attribute, _, value = suffix.split(",", 1)[0].partition("=")
    attribute = attribute.strip().lower()
    value = value.strip()
    if attribute == "dc":
        entry = f"dn: {suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: {value}\no: {value}\n"
    elif attribute == "o":
        entry = f"dn: {suffix}\nobjectClass: organization\no: {value}\n"
    elif attribute == "ou":
        entry = f"dn: {suffix}\nobjectClass: organizationalUnit\nou: {value}\n"
    else:
        raise SlapdError(f"add the suffix entry {suffix} to the LDIF (cannot build one for {attribute}=)")
    return entry + "\n" + ldif_text.lstrip("\n")


def _norm_dn(dn: str) -> str:
    return ",".join(part.strip().lower() for part in dn.split(","))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(handle: SlapdHandle) -> None:
    """Poll with a root DSE search until slapd answers; fail fast if it exits."""
    from ldap3 import BASE, Connection, Server

    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise SlapdError(f"slapd exited with status {handle.process.returncode}")
        conn = Connection(Server(handle.url, connect_timeout=1), receive_timeout=2, raise_exceptions=True)
        try:
            conn.open()
            conn.search("", "(objectClass=*)", search_scope=BASE)
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last = str(exc)
        finally:
            with suppress(Exception):
                conn.unbind()
            if conn.socket is not None:  # ldap3 does not close the socket of a failed open
                conn.socket.close()
        time.sleep(0.02)
    raise SlapdError(f"slapd at {handle.url} did not answer within {START_TIMEOUT:.0f} s ({last})")


def make_tls_files(workdir: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost: (ca.pem, server.pem, server.key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditor test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = workdir / "ca.pem", workdir / "server.pem", workdir / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path
