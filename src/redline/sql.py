"""Read-only SQL over a redline database: the query tool behind ``redline sql``.

A query runs against the audit database and nothing else. Three walls, each enough on its own
for most statements, together for all:

1. **One read-only statement.** The text is split and typed by DuckDB's own parser
   (:func:`duckdb.extract_statements`): exactly one statement, and it must be a query
   (``SELECT``, ``WITH``, ``VALUES``, ``FROM``, ``TABLE``, ``DESCRIBE``, ``SHOW``,
   ``SUMMARIZE``, ``UNPIVOT``, and ``EXPLAIN [ANALYZE]`` of one of those). Everything else is
   refused before it runs: ``COPY``, ``EXPORT``, ``ATTACH``/``DETACH``/``USE``,
   ``INSTALL``/``LOAD``, ``SET``/``RESET``, ``PRAGMA`` and ``CALL`` (use the table functions:
   ``SELECT * FROM pragma_table_info('trials')``), ``CREATE``/``INSERT``/``UPDATE``/``DELETE``,
   transactions, ``PREPARE``/``EXECUTE``, ``VACUUM``/``CHECKPOINT``, and the statement form of
   ``PIVOT`` (which runs several statements; write ``FROM t PIVOT (...)`` instead).
2. **The database attached read-only** into an in-memory connection.
3. **No access outside it**: once the database is attached, ``enable_external_access`` is off
   (no file, no URL: ``read_csv``, ``read_text``, ``read_blob``, ``glob``, ``httpfs``...),
   extensions are neither installed nor loaded automatically, and ``lock_configuration`` is on
   (no statement can change a setting back).

Results are fetched in chunks of :data:`CHUNK_ROWS`, so a caller that stops after N rows
never holds more than that in memory. Every failure is an :class:`SqlError` whose message is
one line: :class:`QueryRefused` before anything runs, :class:`QueryFailed` when DuckDB fails
while running the query or fetching its rows (``SELECT CAST('x' AS INTEGER)``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import TracebackType

import duckdb

from . import db as dbmod

#: rows fetched from DuckDB at a time
CHUNK_ROWS = 100
#: statement types run: queries, and EXPLAIN of a query (checked separately)
QUERY_TYPES = {duckdb.StatementType.SELECT}
#: what the refusal says is allowed
ALLOWED = "SELECT, WITH, VALUES, FROM, TABLE, DESCRIBE, SHOW, SUMMARIZE, UNPIVOT, EXPLAIN"
#: settings made on the query connection, in order (lock_configuration last)
LOCKDOWN = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET lock_configuration = true",
)
#: what to use instead of a refused statement type, where there is something
_HINTS = {
    "PRAGMA": "to read what a pragma shows, use its table function, e.g. SELECT * FROM "
              "pragma_table_info('trials')",
    "CALL": "select from the function instead, e.g. SELECT * FROM duckdb_tables()",
    "MULTI": "a statement that runs several (the PIVOT statement); write FROM t PIVOT (...) instead",
}
#: how the refusal names a statement type where DuckDB's name differs from what was typed
_NAMES = {"LOAD": "INSTALL and LOAD", "PRAGMA": "PRAGMA (and IMPORT DATABASE, COPY FROM DATABASE)", "SET": "SET, RESET and USE", "VACUUM": "VACUUM and ANALYZE",
          "CALL": "CALL (and CHECKPOINT)", "MULTI": "PIVOT"}
#: statement types that write or reach outside the database, named in the refusal
_OUTSIDE = {"COPY", "EXPORT", "ATTACH", "DETACH", "LOAD", "SET", "VARIABLE_SET", "COPY_DATABASE"}


class SqlError(Exception):
    """A query that was refused or failed; ``str()`` is one line."""


class QueryRefused(SqlError):
    """The text is not exactly one read-only query; nothing ran."""


class QueryFailed(SqlError):
    """DuckDB failed while running the query or fetching its rows."""


def one_line(exc: BaseException) -> str:
    """The first line of a DuckDB error, without the class prefix DuckDB adds twice."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def check(text: str) -> str:
    """The one read-only statement in ``text``, or :class:`QueryRefused` saying why not."""
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryRefused(f"cannot parse the query: {one_line(exc)}") from None
    if not statements:
        raise QueryRefused("no statement given")
    if len(statements) > 1:
        raise QueryRefused(f"{len(statements)} statements given; redline sql runs exactly one")
    statement = statements[0]
    kind = statement.type.name
    if statement.type in QUERY_TYPES:
        return statement.query
    if statement.type == duckdb.StatementType.EXPLAIN:
        _explained(statement.query)
        return statement.query
    why = _HINTS.get(kind) or (
        "it writes or reaches outside the database" if kind in _OUTSIDE else "it is not a query")
    raise QueryRefused(f"{_NAMES.get(kind, kind)} statements are refused ({why}); redline sql runs "
                       f"one read-only query: {ALLOWED}")


def _explained(query: str) -> None:
    """Refuse an EXPLAIN [ANALYZE] [(options)] whose statement is not a query (found with
    DuckDB's tokenizer: the statement starts at the first token past the options)."""
    tokens = duckdb.tokenize(query)
    words = [(pos, query[pos:nxt].strip()) for (pos, _), nxt in
             zip(tokens, [p for p, _ in tokens[1:]] + [len(query)])]
    i = next((j for j, (_, w) in enumerate(words) if w.upper() == "EXPLAIN"), 0) + 1
    if i < len(words) and words[i][1].upper() in ("ANALYZE", "ANALYSE"):
        i += 1
    if i < len(words) and words[i][1] == "(":
        depth = 0
        while i < len(words):
            depth += {"(": 1, ")": -1}.get(words[i][1], 0)
            i += 1
            if depth == 0:
                break
    if i >= len(words):
        raise QueryRefused("EXPLAIN of nothing")
    inner = duckdb.extract_statements(query[words[i][0]:])
    if len(inner) != 1 or inner[0].type not in QUERY_TYPES:
        kind = inner[0].type.name if inner else "no"
        raise QueryRefused(f"EXPLAIN of a {kind} statement is refused; redline sql explains "
                           f"one read-only query: {ALLOWED}")


class Cursor:
    """The rows of one running query, fetched in chunks."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.columns: list[str] = [d[0] for d in (con.description or [])]

    def fetch(self, n: int) -> list[tuple]:
        """At most ``n`` more rows (fewer at the end, none when done)."""
        try:
            return self._con.fetchmany(n)
        except duckdb.Error as exc:
            raise QueryFailed(one_line(exc)) from None

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[tuple]]:
        """The remaining rows, ``size`` at a time."""
        while True:
            rows = self.fetch(size)
            if not rows:
                return
            yield rows


class ReadOnlyDatabase:
    """A redline database opened for read-only queries (see the module's notes).

    >>> with ReadOnlyDatabase("audit.duckdb") as db:          # doctest: +SKIP
    ...     cursor = db.execute("SELECT label_id, count(*) FROM current_labels GROUP BY ALL")
    ...     rows = cursor.fetch(10)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        path = os.fspath(path)
        dbmod.check_database_file(path, must_exist=True)
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"SET memory_limit = '{dbmod.MEMORY_LIMIT}'")
            con.execute(f"ATTACH {_quote(path)} AS audit (READ_ONLY)")
            con.execute("USE audit")
            version = dbmod.schema_version(con)
            if version != dbmod.SCHEMA_VERSION:
                raise dbmod.SchemaError(
                    f"{path}: schema version {version}, this redline needs {dbmod.SCHEMA_VERSION}; "
                    "open it once with another redline command to migrate")
            for setting in LOCKDOWN:
                con.execute(setting)
        except BaseException:
            con.close()
            raise
        self._con = con

    def execute(self, text: str) -> Cursor:
        """Run one read-only query (:func:`check`); its rows are fetched through the cursor."""
        query = check(text)
        try:
            self._con.execute(query)
        except duckdb.PermissionException as exc:
            raise QueryRefused(f"the query reaches outside the database ({one_line(exc)})") from None
        except duckdb.Error as exc:
            raise QueryFailed(one_line(exc)) from None
        return Cursor(self._con)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ReadOnlyDatabase:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
