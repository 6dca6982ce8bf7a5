"""Open a database (SQLite or PostgreSQL), bring its schema to the latest migration, hand out sessions.

SQLite gets WAL, foreign keys and a busy timeout, and real transactions (SQLAlchemy emits BEGIN itself, so a
failed scan rolls back completely). PostgreSQL goes through psycopg 3. Alembic is configured in code: no
``alembic.ini`` is needed at runtime; the migration scripts ship inside this package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from auditor.errors import StorageError
from auditor.private_files import private_folder, touch_private

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 65_536  # page cache per connection, at most (SQLite allocates it as pages are used)
_PG_MIGRATION_LOCK = 0x5A_75_D1_70  # pg_advisory_xact_lock key: one migrator at a time


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _reason(exc: BaseException, password: str | None) -> str:
    """One line describing ``exc``, never containing the password."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if password:
        line = line.replace(password, "***")
    return line


@dataclass
class Database:
    """An open database: the engine plus a session factory. Call ``dispose()`` when done."""

    engine: Engine
    url: str  # redacted, for messages

    @contextmanager
    def session(self, *, write: bool = False, raw_integrity_errors: bool = False,
                snapshot: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        Database errors are re-raised as StorageError naming the (redacted) URL. ``write`` begins with
        ``BEGIN IMMEDIATE`` on SQLite, so concurrent writers queue on the busy timeout instead of failing and
        each sees the others' committed rows (compare-and-set updates need it); on PostgreSQL it changes
        nothing. ``raw_integrity_errors`` lets an IntegrityError through unchanged, for callers that take a
        unique-key clash as an answer (a replayed event id). ``snapshot`` (for a page's several reads) runs
        the transaction REPEATABLE READ on PostgreSQL, so every statement sees the same committed state (its
        default READ COMMITTED lets a page's count and rows straddle a scan's commit); an SQLite transaction
        already reads one snapshot.
        """
        engine = self.engine.execution_options(sqlite_immediate=True) if write else self.engine
        if snapshot and engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="REPEATABLE READ")
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            if raw_integrity_errors and isinstance(exc, IntegrityError):
                raise
            raise StorageError(f"{self.url}: {_reason(exc, self.engine.url.password)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _normalise(url: URL) -> URL:
    """Use psycopg 3 for PostgreSQL URLs that name no driver (``postgresql://``, ``postgres://``)."""
    if url.drivername in {"postgresql", "postgres"}:
        return url.set(drivername="postgresql+psycopg")
    return url


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_engine(url: URL) -> Engine:
    """An SQLite engine with WAL, foreign keys, busy timeout and SQLAlchemy-managed transactions."""
    memory = _is_memory(url)
    if memory:
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False},
            json_serializer=_json_dumps,
        )
    else:
        path = Path(url.database or "")
        try:
            private_folder(path.parent)
        except OSError as exc:
            where = redact_url(str(url))
            raise StorageError(f"{where}: cannot create folder {path.parent}: {exc.strerror}") from exc
        try:
            touch_private(path)  # 0600 before SQLite creates it 0644; its -wal and -shm files copy this mode
        except OSError as exc:
            raise StorageError(f"{redact_url(str(url))}: cannot create {path}: {exc.strerror}") from exc
        engine = create_engine(url, json_serializer=_json_dumps)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # bulk scan writes touch big indexes
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _json_dumps(value: Any) -> str:
    """JSON for JSON columns; values JSON cannot represent (datetimes in raw payloads) become strings."""
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def create_db_engine(url: str) -> Engine:
    """Create (but do not migrate) the engine for ``url``; StorageError if the URL is unusable."""
    safe = redact_url(url)
    try:
        parsed = _normalise(make_url(url))
    except (ArgumentError, ValueError) as exc:
        raise StorageError(f"{safe}: not a database URL") from exc
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            return create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)
    except (SQLAlchemyError, ImportError) as exc:
        raise StorageError(f"{safe}: cannot create engine: {_reason(exc, parsed.password)}") from exc
    raise StorageError(f"{safe}: unsupported database {backend!r} (use sqlite or postgresql)")


def alembic_config() -> Any:
    """An Alembic configuration pointing at the migrations shipped in this package (no ini file)."""
    from alembic.config import Config  # imported when a migration may run: it costs every command a start

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Run ``alembic upgrade`` on ``engine`` in one transaction (one migrator at a time)."""
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


_REVISION = re.compile(r'^revision(?::[^=]*)?= *"([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?::[^=]*)?=(.*)$", re.MULTILINE)


def script_heads() -> set[str]:
    """The head revisions of the shipped migrations, read from the scripts' ``revision`` and ``down_revision``
    lines without Alembic (a test holds this equal to Alembic's own answer)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if found is None or down is None:
            return set()  # a script this reader does not understand: let Alembic decide
        revisions.add(found.group(1))
        parents.update(re.findall(r'"([^"]+)"', down.group(1)))
    return revisions - parents


def at_heads(engine: Engine) -> bool:
    """True when the database already stands at every head of the shipped migrations (nothing to run)."""
    heads = script_heads()
    if not heads or not inspect(engine).has_table("alembic_version"):
        return False
    with engine.connect() as connection:
        stored = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    return stored == heads


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open the database at ``url`` and upgrade its schema to the latest migration.

    Raises StorageError naming the URL (password hidden) when it cannot be opened or migrated.
    """
    safe = redact_url(url)
    engine = create_db_engine(url)
    if migrate:
        try:
            current = at_heads(engine)
            if not current:
                _migrate(engine)
        except (SQLAlchemyError, OSError, _MigrationFailed) as exc:
            engine.dispose()
            cause = exc.__cause__ if isinstance(exc, _MigrationFailed) and exc.__cause__ else exc
            reason = _reason(cause, engine.url.password)
            raise StorageError(f"{safe}: cannot open or migrate: {reason}") from exc
    return Database(engine=engine, url=safe)


class _MigrationFailed(Exception):
    """Alembic refused to migrate (its error is the cause); Alembic is imported only when a migration runs."""


def _migrate(engine: Engine) -> None:
    from alembic.util.exc import CommandError

    try:
        upgrade(engine)
    except CommandError as exc:
        raise _MigrationFailed(str(exc)) from exc
