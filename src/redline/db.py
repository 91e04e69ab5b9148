"""The DuckDB database: the only module with DDL.

The schema is a list of small numbered migrations. :func:`connect` applies the ones a database
has not seen and records each in ``schema_migrations``. Open the file with any DuckDB client to
find these tables:

``ingested_files``
    one row per file seen by ``redline ingest``: path, content hash, format, status
    (``ok`` / ``error`` / ``skipped``) and the reason for an error or a skip.
``trials``
    one row per trial: where it came from, model, agent, task, scenario, timestamps, the
    normalised ``outcome`` and the source's own ``source_verdict``.
``events``
    the steps of every trial in order (``trial_id``, ``seq``): messages, actions (``text`` is
    the command line) and observations (``text`` is the output), with a pointer back to the
    raw record (``source_file``, ``source_line``, ``source_pointer``).
``commands``
    one row per simple command parsed from an action's command line (``trial_id``, ``seq``,
    ``idx``): program, argv, redirections, the operator joining it to the previous command,
    wrappers such as ``sudo``/``nohup``/``timeout``, nesting depth, and its span in the text.
``labels``
    behaviour labels: on an event (``seq`` set) or on a whole trial (``seq`` NULL), with the
    classifier's ID and version, a score, the evidence that matched and, for some labels, a
    ``detail`` JSON object of structured evidence (PROC-KILL: whose process was killed).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

DEFAULT_DB = "redline.duckdb"

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _m001_core(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE ingested_files (
            path        VARCHAR PRIMARY KEY,   -- absolute path of the file
            sha256      VARCHAR,               -- content hash; unchanged files are not re-read
            size_bytes  BIGINT,
            format      VARCHAR,               -- adapter NAME that read it, when one did
            status      VARCHAR NOT NULL CHECK (status IN ('ok', 'error', 'skipped')),
            error       VARCHAR,               -- reason for an error or a skip
            trials      INTEGER NOT NULL DEFAULT 0,
            events      INTEGER NOT NULL DEFAULT 0,
            ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    con.execute(
        """
        CREATE TABLE trials (
            trial_id       VARCHAR PRIMARY KEY,
            format         VARCHAR NOT NULL,
            source_path    VARCHAR NOT NULL,   -- the file (or trial folder's file) it came from
            local_key      VARCHAR NOT NULL,   -- which trial inside that file ('' if only one)
            model          VARCHAR,
            agent          VARCHAR,
            task           VARCHAR,
            scenario       VARCHAR,
            started_at     TIMESTAMPTZ,
            ended_at       TIMESTAMPTZ,
            outcome        VARCHAR NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
            source_verdict JSON,               -- the source's own verdict, as recorded
            metadata       JSON
        )
        """
    )
    con.execute(
        """
        CREATE TABLE events (
            trial_id       VARCHAR NOT NULL,
            seq            INTEGER NOT NULL,   -- 0-based position in the trial
            ts             TIMESTAMPTZ,
            kind           VARCHAR NOT NULL CHECK (kind IN ('message', 'action', 'observation')),
            role           VARCHAR,
            text           VARCHAR,
            tool           VARCHAR,
            exit_code      INTEGER,
            action_seq     INTEGER,            -- observation: the action it answers
            parse_error    VARCHAR,            -- action: why its command line did not parse
            source_file    VARCHAR,
            source_line    INTEGER,
            source_pointer VARCHAR,
            attrs          JSON
        )
        """
    )
    con.execute(
        """
        CREATE TABLE commands (
            trial_id   VARCHAR NOT NULL,
            seq        INTEGER NOT NULL,       -- the action event
            idx        INTEGER NOT NULL,       -- 0-based order within the command line
            parent_idx INTEGER,                -- enclosing command (bash -c, $(...), heredoc)
            depth      INTEGER NOT NULL,       -- 0 at top level
            program    VARCHAR,                -- basename, wrappers removed ('kill', 'python3')
            path       VARCHAR,                -- the program as written ('./start.sh')
            argv       VARCHAR[],              -- arguments after the program, unquoted
            wrappers   VARCHAR[],              -- sudo, nohup, timeout, env, xargs, ...
            sudo       BOOLEAN NOT NULL,
            background BOOLEAN NOT NULL,
            operator   VARCHAR,                -- joins it to the previous: && || ; | & (NULL first)
            context    VARCHAR,                -- top, pipeline, subshell, substitution, bash-c, heredoc
            redirects  VARCHAR[],              -- '>out.txt', '2>&1', '<<EOF'
            heredoc    VARCHAR,                -- body of a heredoc fed to this command
            code       VARCHAR,                -- program text run by an interpreter (-c, heredoc)
            text       VARCHAR,                -- the simple command's own text
            span_start INTEGER,                -- character offsets of text in the action text
            span_end   INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE labels (
            trial_id           VARCHAR NOT NULL,
            seq                INTEGER,        -- NULL for a trial-level label
            unit               VARCHAR NOT NULL CHECK (unit IN ('action', 'observation', 'message', 'trial')),
            label_id           VARCHAR NOT NULL,
            classifier_version VARCHAR NOT NULL,
            score              DOUBLE NOT NULL,
            evidence           VARCHAR,        -- the span or parsed command that matched
            evidence_seq       INTEGER,        -- the step holding the evidence, if not seq itself
            span_start         INTEGER,        -- offsets of evidence in that step's text
            span_end           INTEGER,
            created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    con.execute("CREATE INDEX events_trial ON events (trial_id)")
    con.execute("CREATE INDEX commands_trial ON commands (trial_id)")
    con.execute("CREATE INDEX labels_trial ON labels (trial_id)")


def _m002_label_detail(con: duckdb.DuckDBPyConnection) -> None:
    # structured evidence per label, e.g. PROC-KILL's {"target": "own" | "foreign" | "unknown"}
    con.execute("ALTER TABLE labels ADD COLUMN detail JSON")


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "core tables", _m001_core),
    (2, "label detail", _m002_label_detail),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


class SchemaError(RuntimeError):
    """The database was written by a newer redline, or is not a redline database."""


#: DuckDB's memory cap for redline's connections (it spills to disk beyond it); without one,
#: DuckDB may cache up to 80% of RAM while a large corpus is loaded
MEMORY_LIMIT = os.environ.get("REDLINE_MEMORY_LIMIT", "1GB")


def _configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


def connect(path: str | os.PathLike[str] = DEFAULT_DB, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a redline database and bring its schema up to date.

    Memory is capped at :data:`MEMORY_LIMIT` (``REDLINE_MEMORY_LIMIT`` in the environment).
    """
    path = str(path)
    if read_only:
        if path != ":memory:" and not Path(path).exists():
            raise FileNotFoundError(f"{path}: no such database (run 'redline ingest' first)")
        con = _configure(duckdb.connect(path, read_only=True))
        version = schema_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            raise SchemaError(
                f"{path}: schema version {version}, this redline needs {SCHEMA_VERSION}; "
                "open it once without read-only access to migrate"
            )
        return con
    con = _configure(duckdb.connect(path))
    migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations in order; return the resulting schema version."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       VARCHAR NOT NULL,
            applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {current} is newer than this redline ({SCHEMA_VERSION})"
        )
    for version, name, apply in MIGRATIONS:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            apply(con)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


TABLES = ("ingested_files", "trials", "events", "commands", "labels")


def frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None):
    """Run a query and return the result as a polars DataFrame (any DuckDB version)."""
    rel = con.sql(query, params=params) if params else con.sql(query)
    return rel.pl()
