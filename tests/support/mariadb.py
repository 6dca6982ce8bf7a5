"""A private MariaDB server for tests: ``mariadb-install-db`` into a temp dir, ``mariadbd`` on a free 127.0.0.1 port.

The server runs as a plain child process of the tests (``--no-defaults``, its own socket and pid file), never the
package's own service. Missing binaries raise: the Magento tests never skip MariaDB (install ``mariadb-server``).
Administration goes through PyMySQL as ``root`` (no password, TCP on 127.0.0.1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port

SERVER_CANDIDATES = (Path("/usr/sbin/mariadbd"), Path("/usr/sbin/mysqld"))


class MariaDBUnavailable(RuntimeError):
    """MariaDB is not installed or the server could not start."""


def find_server() -> tuple[Path, Path]:
    """(mariadbd, mariadb-install-db); MariaDBUnavailable naming the package when absent."""
    server = next((p for p in SERVER_CANDIDATES if p.exists()), None)
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if server is None or install is None:
        raise MariaDBUnavailable("MariaDB binaries not found (/usr/sbin/mariadbd, mariadb-install-db); install them "
                                 "with `apt-get install -y --no-install-recommends mariadb-server`")
    return server, Path(install)


class MariaDBServer:
    """A throw-away server: ``start()``, ``create_database()`` per test, ``stop()`` at the end."""

    def __init__(self) -> None:
        self.server, self.install = find_server()
        self.base = Path(tempfile.mkdtemp(prefix="auditor-mariadb-"))
        self.data_dir = self.base / "data"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MariaDBServer:
        """Initialise the data directory and start the server on a free port (a few ports are tried)."""
        user = ["--user=root"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [str(self.install), "--no-defaults", f"--datadir={self.data_dir}",
             "--auth-root-authentication-method=normal", "--skip-test-db", *user],
            capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise MariaDBUnavailable(f"mariadb-install-db failed ({result.returncode}): {result.stderr.strip()}")
        last = ""
        for _attempt in range(3):
            self.port = free_port()
            log = open(self.base / "server.log", "ab")  # noqa: SIM115 - handed to the child process
            self.process = subprocess.Popen(
                [str(self.server), "--no-defaults", f"--datadir={self.data_dir}", f"--socket={self.base}/sock",
                 f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.base}/pid",
                 "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0", *user],
                stdout=log, stderr=log)
            log.close()
            if self._wait_ready():
                return self
            last = self.log_tail()
            self._kill()
        raise MariaDBUnavailable(f"could not start MariaDB: {last}")

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                self.execute("SELECT 1")
                return True
            except Exception:  # noqa: BLE001 - not accepting connections yet
                time.sleep(0.1)
        return False

    def log_tail(self) -> str:
        """The end of the server log (for error messages)."""
        log = self.base / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def connect(self, database: str | None = None, *, user: str = "root", password: str = "") -> Any:
        """A PyMySQL connection (autocommit) to this server."""
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user=user, password=password, database=database,
                               autocommit=True, connect_timeout=5)

    def execute(self, *statements: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run statements as root; the rows of the last one."""
        conn = self.connect(database)
        try:
            rows: list[tuple[Any, ...]] = []
            with conn.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    rows = list(cursor.fetchall())
            return rows
        finally:
            conn.close()

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (unique name unless given) and return its name."""
        name = name or f"shop_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def create_read_only_user(self, database: str, *, user: str | None = None,
                              tables: list[str] | None = None) -> tuple[str, str]:
        """A user with SELECT on ``database`` (or only on ``tables`` of it), the way a shop grants it:
        ``GRANT SELECT ON shop.* TO 'ro'@'127.0.0.1'``. Returns (user, password)."""
        user = user or f"ro_{uuid.uuid4().hex[:8]}"
        password = uuid.uuid4().hex
        statements = [f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'"]
        targets = [f"`{database}`.`{t}`" for t in tables] if tables is not None else [f"`{database}`.*"]
        statements += [f"GRANT SELECT ON {target} TO '{user}'@'127.0.0.1'" for target in targets]
        self.execute(*statements)
        return user, password

    def url(self, database: str, user: str, password: str) -> str:
        """SQLAlchemy URL of ``database`` for ``user`` (PyMySQL driver)."""
        return f"mysql+pymysql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._kill()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
