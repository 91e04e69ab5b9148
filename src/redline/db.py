"""The DuckDB database: creating it, migrating it, opening it.

The tables, views and columns are defined once, in :mod:`redline.schema`. A new database is
created from those definitions directly. A database written by an older redline is brought up
to date by :data:`MIGRATIONS` (declared in :mod:`redline.migrations`): numbered, append-only
steps, each recorded in ``schema_migrations`` when applied. A migration states the change it
makes (``ALTER TABLE``...) as history and never reads :mod:`redline.schema`, so an old database
always takes the same path; a test checks that a database migrated from version 1 ends up
identical to a new one.
Views and column descriptions hold no data: they are (re)created from :mod:`redline.schema`
whenever a migration ran.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import schema
from .migrations import MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION, dataset_readable, dataset_versions

if TYPE_CHECKING:  # DuckDB itself is imported by connect: importing it costs more than the rest
    import duckdb  # of a command that has nothing to do (its Python layer, not its engine)

DEFAULT_DB = "redline.duckdb"

#: the table ``redline attach`` (:mod:`redline.dataset.attach`) leaves in a database whose
#: tables are views over a Parquet dataset: such a database is read, never written
ATTACHED_TABLE = "redline_dataset"


class SchemaError(RuntimeError):
    """The database was written by a newer redline, or is not a redline database."""


#: DuckDB's memory cap for redline's connections (it spills to disk beyond it); without one,
#: DuckDB may cache up to 80% of RAM while a large corpus is loaded
MEMORY_LIMIT = os.environ.get("REDLINE_MEMORY_LIMIT", "1GB")


def _configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


_UNITS = {"bytes": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3,
          "tb": 1000**4, "tib": 1024**4}


def memory_bytes(text: str) -> float | None:
    """Bytes of a DuckDB memory setting such as ``953.6 MiB`` or ``256MB`` (None: unknown)."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS | {"": 1}:
        return None
    return float(m.group(1)) * _UNITS.get(m.group(2).lower(), 1)


@contextmanager
def setting_while(con: duckdb.DuckDBPyConnection, name: str, value: str,
                  applies: Callable[[str], bool]) -> Iterator[bool]:
    """DuckDB's setting ``name`` set to ``value`` inside the block when ``applies(current value)``
    says so, and restored after; yields whether it was set. The one way redline changes a
    connection's setting for a while (its memory cap, threads, checkpoint threshold)."""
    before = str(con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0])
    if not applies(before):
        yield False
        return
    con.execute(f"SET {name} = '{value}'")
    try:
        yield True
    finally:
        con.execute(f"SET {name} = '{before}'")


def memory_capped(con: duckdb.DuckDBPyConnection, limit: str) -> AbstractContextManager[bool]:
    """DuckDB's memory capped at ``limit`` inside the block, when that is lower than its cap (a
    long ingest or classify would otherwise fill its buffer pool with table blocks it has
    finished with, up to the connection's cap); the cap is restored after."""
    wanted = memory_bytes(limit)

    def lower(before: str) -> bool:
        now = memory_bytes(before)
        return now is not None and wanted is not None and wanted < now
    return setting_while(con, "memory_limit", limit, lower)


def release_memory(con: duckdb.DuckDBPyConnection, evict_to: str | None = None) -> None:
    """Hand the memory DuckDB freed back to the system. DuckDB's allocator keeps what a query
    freed (its sort, aggregate and result buffers: about 35 MB for the rows of 1000 Inspect
    trials) until its memory limit is set; setting it, even to the same value, flushes the
    allocator (under a millisecond). A long command that goes on to hold memory of its own
    (classify's batches) calls this after the queries whose buffers would sit beside it.

    ``evict_to`` (a size, e.g. ``"1MB"``): for a database in a file, the limit is first set that
    low for an instant, so the buffer pool also lets go of the table blocks it keeps cached, for
    a reader that has finished with them (what has not been written to the file yet is moved to
    DuckDB's temporary files instead; should DuckDB refuse the low limit, the cache stays). An
    in-memory database is left as it is: its tables are nothing but such blocks."""
    import duckdb

    limit, in_file = con.execute(
        "SELECT current_setting('memory_limit'), coalesce((SELECT path FROM duckdb_databases() "
        "WHERE database_name = current_database()), '') <> ''" if evict_to is not None else
        "SELECT current_setting('memory_limit'), false").fetchall()[0]
    if in_file:
        try:
            con.execute(f"SET memory_limit = '{evict_to}'")
        except duckdb.Error:
            pass
    con.execute(f"SET memory_limit = '{limit}'")


#: the bytes a DuckDB database file holds at offset 8
DUCKDB_MAGIC = b"DUCK"


def check_database_file(path: str | os.PathLike[str], *, must_exist: bool) -> None:
    """Refuse a path that is not a DuckDB database: a folder, a file in another format (DuckDB
    would open a JSON or CSV file as an in-memory view of it and store nothing), or, when
    ``must_exist``, a file that does not exist. Raises :class:`SchemaError` or
    :class:`FileNotFoundError` with a message naming the path."""
    path = os.fspath(path)
    if path == ":memory:":
        return
    p = Path(path)
    if not p.exists():
        if must_exist:
            raise FileNotFoundError(f"{path}: no such database (run 'redline ingest' first)")
        return
    if p.is_dir():
        raise SchemaError(f"{path}: is a folder, not a DuckDB database")
    try:
        with open(p, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the database file: {exc.strerror or exc}") from None
    if head[8:12] != DUCKDB_MAGIC:
        what = "an empty file" if not head else "a file in another format"
        raise SchemaError(f"{path}: not a DuckDB database ({what}); name a new file or an existing "
                          "redline database")


def connect(path: str | os.PathLike[str] = DEFAULT_DB, *, read_only: bool = False,
            create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a redline database and bring its schema up to date; a new one is created unless
    ``create`` is false (or ``read_only``), when a missing file is a :class:`FileNotFoundError`.

    A path that holds anything but a DuckDB database is refused (:class:`SchemaError`). Memory
    is capped at :data:`MEMORY_LIMIT` (``REDLINE_MEMORY_LIMIT`` in the environment).
    """
    import duckdb

    path = os.fspath(path)
    check_database_file(path, must_exist=read_only or not create)
    con = _configure(duckdb.connect(path, read_only=read_only))
    version, attached = _bookkeeping(con)
    _refuse_attached(con, path, attached, read_only=read_only)
    if read_only:
        if version != SCHEMA_VERSION and attached is None:  # (an attached one was checked above)
            con.close()
            raise SchemaError(
                f"{path}: schema version {version}, this redline needs {SCHEMA_VERSION}; "
                "open it once without read-only access to migrate"
            )
        return con
    migrate(con, version)
    return con


def open_current(path: str | os.PathLike[str], *, queries_only: bool = False) -> duckdb.DuckDBPyConnection | None:
    """An existing redline database at this schema version, opened read-only: the quick way in
    for a command that may find nothing to write. None when it is anything else (missing, not a
    DuckDB file, at another schema version, attached to a dataset, held by a writer): opening it
    with :func:`connect` then migrates it, or says what is wrong.

    ``queries_only``: the caller only runs SQL and fetches rows (``execute``, ``fetchall``),
    which DuckDB's engine module does alone (:func:`_engine`)."""
    engine = _engine(queries_only)
    path = os.fspath(path)
    try:
        check_database_file(path, must_exist=True)
        con = _configure(engine.connect(path, read_only=True))
    except (OSError, SchemaError, engine.Error):
        return None
    try:
        version, attached = _bookkeeping(con)
    except engine.Error:
        version, attached = None, None
    if version != SCHEMA_VERSION or attached is not None:
        con.close()
        return None
    return con


def _engine(queries_only: bool) -> Any:
    """The module to connect with: the ``duckdb`` package; or, for a connection that only
    runs SQL and fetches rows, the engine module the package wraps (``_duckdb``, which recent
    DuckDB wheels install beside it), when the package is not imported yet. Importing the
    package costs about as much as a command that finds nothing to do: its relational API and
    what that imports (importlib.metadata and its e-mail parsing, among others), none of which
    running a query needs. The connection is the same object either way; importing the package
    later gives it the whole API. A DuckDB without such a module (or one whose module holds no
    ``connect``) is used through the package."""
    if queries_only and "duckdb" not in sys.modules:
        try:
            import _duckdb
        except ImportError:
            pass
        else:
            if callable(getattr(_duckdb, "connect", None)) and isinstance(getattr(_duckdb, "Error", None), type):
                return _duckdb
    import duckdb

    return duckdb


def _bookkeeping(con: duckdb.DuckDBPyConnection) -> tuple[int, tuple[str, int] | None]:
    """The database's schema version (0: not a redline database yet) and, when ``redline
    attach`` made it, (dataset, schema version): one look at the catalog, and a query for each
    bookkeeping table there."""
    present = {row[0] for row in con.execute(  # (naming the database spares DuckDB the system catalog)
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name IN ('schema_migrations', ?)", [ATTACHED_TABLE]).fetchall()}
    version = 0
    if "schema_migrations" in present:
        version = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]
    attached = None
    if ATTACHED_TABLE in present:
        row = con.execute(f"SELECT uri, schema_version FROM {ATTACHED_TABLE}").fetchall()
        attached = (row[0][0], row[0][1]) if row else None
    return version, attached


def attached_dataset(con: duckdb.DuckDBPyConnection) -> tuple[str, int] | None:
    """(dataset, schema version) when the database was made by ``redline attach``, else None."""
    return _bookkeeping(con)[1]


def _refuse_attached(con: duckdb.DuckDBPyConnection, path: str, attached: tuple[str, int] | None,
                     read_only: bool) -> None:
    """A database attached to a dataset is opened read-only, and only at this schema version;
    its tables are views, so a write or a migration is refused with what to do instead."""
    if attached is None:
        return
    uri, version = attached
    problem = None
    if not dataset_readable(version):
        problem = (f"{path}: attached to the dataset {uri} of schema version {version}; this redline reads "
                   f"versions {dataset_versions()} (export the data again with the redline that wrote it)")
    elif not read_only:
        problem = (f"{path}: its tables are views over the dataset {uri} (redline attach) and take no writes; "
                   f"work on the dataset instead: 'redline ingest PATH... --out {uri}', "
                   f"'redline classify --dataset {uri}', 'redline analyse --dataset {uri}'")
    if problem:
        con.close()
        raise SchemaError(problem)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return _bookkeeping(con)[0]


def migrate(con: duckdb.DuckDBPyConnection, current: int | None = None) -> int:
    """Create a new database, or apply an older one's pending migrations in order; return the
    resulting schema version. Everything pending runs in one transaction. ``current``: the
    schema version the database is known to have (default: read it)."""
    if current is None:
        current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {current} is newer than this redline ({SCHEMA_VERSION})"
        )
    if current == SCHEMA_VERSION:
        return current
    con.execute(MIGRATIONS_TABLE)
    with transaction(con):
        if current == 0:
            _create(con)
        else:
            for version, name, apply in MIGRATIONS:
                if version > current:
                    assert apply is not None, f"migration {version} has no step"
                    apply(con)
                    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
        _refresh_derived(con)
    return SCHEMA_VERSION


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Everything in the block commits together, or (on an exception) not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _create(con: duckdb.DuckDBPyConnection) -> None:
    """A new database: every table at the latest version, every migration recorded as applied."""
    existing = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    clash = sorted(existing & set(TABLES))
    if clash:
        raise SchemaError(f"the database holds tables named {', '.join(clash)} but is not a redline database")
    statements = [statement for table in schema.ALL_TABLES for statement in table.create_sql()]
    statements += [f"INSERT INTO schema_migrations (version, name) VALUES ({int(version)}, {_quote(name)})"
                   for version, name, _ in MIGRATIONS]
    _script(con, statements)


def _refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Views and column descriptions, from :mod:`redline.schema` (they hold no data)."""
    statements = [f"DROP VIEW IF EXISTS {name}" for name in reversed(list(schema.VIEWS))]  # a view may read
    statements += [f"CREATE VIEW {name} AS {query}" for name, query in schema.VIEWS.items()]  # those before it
    for table in schema.ALL_TABLES:
        statements.append(f"COMMENT ON TABLE {table.name} IS {_quote(table.doc)}")
        statements += [f"COMMENT ON COLUMN {table.name}.{col.name} IS {_quote(col.doc)}" for col in table.columns]
    _script(con, statements)


def _script(con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    """Run ``statements`` in order, as one script: one call into DuckDB instead of one per
    statement (a new database's schema is about 180 of them)."""
    con.execute(";\n".join(statements))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: the tables redline writes
TABLES: tuple[str, ...] = tuple(t.name for t in schema.ALL_TABLES)


def frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None):
    """Run a query and return the result as a polars DataFrame (any DuckDB version)."""
    rel = con.sql(query, params=params) if params else con.sql(query)
    return rel.pl()
