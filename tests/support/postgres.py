"""A private PostgreSQL cluster for tests: initdb into a temp dir, pg_ctl on a free 127.0.0.1 port.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the ``postgres`` OS
user (commands go through ``runuser``). Missing binaries raise: storage tests never skip PostgreSQL.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

PG_ROOTS = (Path("/usr/lib/postgresql"),)


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or the cluster could not start."""


def find_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` with initdb, or the directory of ``initdb`` on PATH."""
    candidates = []
    for root in PG_ROOTS:
        if root.is_dir():
            for child in root.iterdir():
                if (child / "bin" / "initdb").exists() and child.name.isdigit():
                    candidates.append(child / "bin")
    if candidates:
        return max(candidates, key=lambda p: int(p.parent.name))
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install them with `apt-get install -y postgresql`"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A throw-away cluster; ``start()``, ``create_database()`` per test, ``stop()`` at the end."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
        self.data_dir = self.base / "data"
        self.port = 0
        if self.as_root:
            entry = pwd.getpwnam("postgres")
            os.chown(self.base, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def start(self) -> PostgresCluster:
        """initdb and start on a free port; retries a few ports if one was taken meanwhile."""
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        last: Exception | None = None
        for _attempt in range(3):
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-l",
                          str(self.base / "server.log"), "-o", options, "start")
                return self
            except PostgresUnavailable as exc:
                last = exc
        raise PostgresUnavailable(f"could not start PostgreSQL: {last}; log: {self.log_tail()}")

    def log_tail(self) -> str:
        """The end of the server log (for error messages)."""
        log = self.base / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (unique name unless given) and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still on it."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            if self.port:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
