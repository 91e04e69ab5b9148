"""The migrations of a redline database: numbered, append-only steps from one schema version to
the next, each recorded in ``schema_migrations`` when :func:`redline.db.migrate` applies it.

A migration states the change it makes (``ALTER TABLE``, ``CREATE TABLE``...) as history and
never reads :mod:`redline.schema`, so an old database always takes the same path; a test checks
that a database migrated from version 1 ends up identical to a new one (which is created from
:mod:`redline.schema` at the latest version directly). To change the schema, change
:mod:`redline.schema` and append a migration here with literal DDL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a migration only runs statements on the connection it is given
    import duckdb

Migration = Callable[["duckdb.DuckDBPyConnection"], None]


def _m002_classify_runs(con: duckdb.DuckDBPyConnection) -> None:
    """Labels carry structured detail and the run that wrote them; runs are recorded.

    Labels written before runs were recorded become run 0, a complete run. Where an older
    database holds several versions of one classifier, the labels of the lower versions were
    never shown (readers picked the highest version): they are removed, so a complete run
    holds one set of labels per ID, as every later run does.
    """
    con.execute("ALTER TABLE labels ADD COLUMN detail JSON")
    con.execute("ALTER TABLE labels ADD COLUMN run_id INTEGER")
    con.execute(
        """
        CREATE TABLE classify_runs (
            run_id     INTEGER PRIMARY KEY,
            started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            ended_at   TIMESTAMP,
            status     VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'abandoned')),
            rules      JSON,
            trials     INTEGER,
            labels     BIGINT
        )
        """
    )
    if not con.execute("SELECT count(*) FROM labels").fetchall()[0][0]:
        return
    con.execute(
        """
        DELETE FROM labels WHERE classifier_version <> (
            SELECT max_by(v.classifier_version, try_cast(v.classifier_version AS INTEGER))
            FROM labels v WHERE v.label_id = labels.label_id)
        """
    )
    con.execute("UPDATE labels SET run_id = 0")
    con.execute(
        """
        INSERT INTO classify_runs (run_id, started_at, ended_at, status, rules, trials, labels)
        SELECT 0, min(created_at), max(created_at), 'complete',
               (SELECT json_group_object(label_id, version) FROM (
                   SELECT label_id, any_value(classifier_version) AS version FROM labels GROUP BY label_id)),
               count(DISTINCT trial_id), count(*)
        FROM labels
        """
    )


def _m003_analysis(con: duckdb.DuckDBPyConnection) -> None:
    """The tables ``redline analyse`` writes: episodes, phases, command categories, findings, runs."""
    con.execute(
        """
        CREATE TABLE episodes (
            trial_id      VARCHAR NOT NULL,
            episode_id    INTEGER NOT NULL,
            parent_id     INTEGER,
            obstacle      VARCHAR NOT NULL,
            operation     VARCHAR NOT NULL,
            operation_key VARCHAR NOT NULL,
            subject       VARCHAR,
            obstacle_seq  INTEGER NOT NULL,
            obstacle_step INTEGER,
            resolved_seq  INTEGER,
            resolved_step INTEGER,
            last_seq      INTEGER NOT NULL,
            status        VARCHAR NOT NULL CHECK (status IN ('resolved', 'unresolved', 'open')),
            strategies    VARCHAR[] NOT NULL,
            evidence      JSON NOT NULL,
            repeats       INTEGER NOT NULL,
            steps         INTEGER NOT NULL,
            seconds       DOUBLE
        )
        """
    )
    con.execute("CREATE INDEX episodes_trial ON episodes (trial_id)")
    con.execute(
        """
        CREATE TABLE phases (
            trial_id VARCHAR NOT NULL,
            seq      INTEGER NOT NULL,
            step     INTEGER NOT NULL,
            phase    VARCHAR NOT NULL CHECK (phase IN ('exploring', 'planning', 'executing', 'verifying'))
        )
        """
    )
    con.execute("CREATE INDEX phases_trial ON phases (trial_id)")
    con.execute(
        """
        CREATE TABLE command_categories (
            trial_id VARCHAR NOT NULL,
            seq      INTEGER NOT NULL,
            idx      INTEGER NOT NULL,
            program  VARCHAR,
            category VARCHAR NOT NULL CHECK (category IN ('exploring', 'changing', 'executing', 'utility', 'other'))
        )
        """
    )
    con.execute(
        """
        CREATE TABLE findings (
            rank       INTEGER NOT NULL,
            trial_id   VARCHAR NOT NULL,
            seq        INTEGER,
            step       INTEGER,
            kind       VARCHAR NOT NULL CHECK (kind IN ('episode', 'step', 'trial', 'outlier')),
            subject    VARCHAR NOT NULL,
            episode_id INTEGER,
            severity   VARCHAR NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
            score      DOUBLE NOT NULL,
            why        VARCHAR NOT NULL,
            factors    JSON NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE analysis_runs (
            run_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
            trials       INTEGER NOT NULL,
            episodes     INTEGER NOT NULL,
            findings     INTEGER NOT NULL,
            seconds      DOUBLE NOT NULL,
            classify_run INTEGER
        )
        """
    )


def _m004_models(con: duckdb.DuckDBPyConnection) -> None:
    """Learned classifiers and auditors: labels say which source gave them (the labels written
    so far all came from rules), auditors' decisions and the models' suggestions get tables."""
    con.execute("ALTER TABLE labels ADD COLUMN source VARCHAR DEFAULT 'rule'")
    con.execute("UPDATE labels SET source = 'rule'")
    con.execute(
        """
        CREATE TABLE human_labels (
            decision_id BIGINT PRIMARY KEY,
            trial_id    VARCHAR NOT NULL,
            seq         INTEGER,
            unit        VARCHAR NOT NULL CHECK (unit IN ('action', 'observation', 'message', 'trial')),
            label_id    VARCHAR NOT NULL,
            decision    VARCHAR NOT NULL CHECK (decision IN ('accepted', 'rejected')),
            who         VARCHAR NOT NULL,
            decided_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
            note        VARCHAR,
            shown       JSON
        )
        """
    )
    con.execute("CREATE INDEX human_labels_trial ON human_labels (trial_id)")
    con.execute(
        """
        CREATE TABLE suggestions (
            trial_id      VARCHAR NOT NULL,
            seq           INTEGER NOT NULL,
            unit          VARCHAR NOT NULL CHECK (unit IN ('action', 'observation', 'message', 'trial')),
            label_id      VARCHAR NOT NULL,
            model         VARCHAR NOT NULL,
            model_version VARCHAR NOT NULL,
            score         DOUBLE NOT NULL,
            threshold     DOUBLE NOT NULL,
            evidence      VARCHAR,
            run_id        INTEGER,
            created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    con.execute("CREATE INDEX suggestions_trial ON suggestions (trial_id)")


def _m005_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """Incremental classify runs: which classifier version covered which trial. Nothing says
    which trials the runs so far covered, so the table starts empty and the next classify runs
    every classifier on every trial once, as every classify did before."""
    con.execute("ALTER TABLE classify_runs ADD COLUMN current JSON")
    con.execute("ALTER TABLE classify_runs ADD COLUMN code VARCHAR")
    con.execute(
        """
        CREATE TABLE classify_coverage (
            run_id      INTEGER NOT NULL,
            trial_id    VARCHAR NOT NULL,
            classifier  VARCHAR NOT NULL,
            version     VARCHAR NOT NULL,
            ingested_at TIMESTAMP
        )
        """
    )


def _m006_labels_unindexed(con: duckdb.DuckDBPyConnection) -> None:
    """Labels lose their index on ``trial_id``. A classify run replaces the labels it supersedes
    (every label, in a full run) and DuckDB updates an index row by row when the deletes commit
    and whenever it writes the table out: on a million actions the commit of a full run took
    about 4 CPU seconds with the index and a hundredth of that without. Labels are read through
    ``current_labels``, a view that joins the runs anyway, and a scan of the table's
    ``trial_id`` column answers a one-trial query as well at this size."""
    con.execute("DROP INDEX IF EXISTS labels_trial")


#: (version, name, migration); version 1 is the first schema, which has no earlier one to
#: migrate from (a new database is created at the latest version directly)
MIGRATIONS: list[tuple[int, str, Migration | None]] = [
    (1, "core tables", None),
    (2, "classify runs, labels.detail, current_labels", _m002_classify_runs),
    (3, "analysis tables", _m003_analysis),
    (4, "labels.source, human_labels, suggestions", _m004_models),
    (5, "classify_coverage, classify_runs.current and code", _m005_coverage),
    (6, "labels without an index on trial_id", _m006_labels_unindexed),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]

#: the table that records which migrations a database has had
MIGRATIONS_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       VARCHAR NOT NULL,
        applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    )
"""
