"""The schema is stated once: what writers build equals what the database holds, and an old
database migrates to exactly what a new one is."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from redline import convert, db, schema
from redline.classifiers.engine import LABEL_COLUMNS
from redline.events import Event, Trial

V1_SQL = Path(__file__).parent / "fixtures" / "schema_v1.sql"


def _plain(t: pa.DataType) -> tuple:
    """An Arrow type without what DuckDB adds when it exports (list field names, tz spelling)."""
    if pa.types.is_list(t):
        return ("list", _plain(t.value_type))
    if pa.types.is_timestamp(t):
        return ("timestamp", t.unit, t.tz is not None)
    return (str(t),)


def _db_arrow(con, table: str, without: tuple[str, ...] = ()) -> list[tuple]:
    got = con.sql(f"SELECT * FROM {table} LIMIT 0").arrow().schema
    return [(f.name, _plain(f.type)) for f in got if f.name not in without]


def _schema_arrow(sch: pa.Schema) -> list[tuple]:
    return [(f.name, _plain(f.type)) for f in sch]


@pytest.fixture
def fresh(tmp_path):
    con = db.connect(tmp_path / "fresh.duckdb")
    yield con
    con.close()


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_every_tables_arrow_schema_equals_the_new_databases_ddl(fresh, table):
    auto = tuple(c.name for c in table.columns if c.auto)
    assert _schema_arrow(table.arrow_schema()) == _db_arrow(fresh, table.name, auto)


def test_the_loaders_batches_have_the_databases_columns(fresh):
    trial = Trial(format="example", source_path="/x.json")
    trial.add(Event(kind="action", text="sudo kill -9 $(pgrep x) > /dev/null &", role="assistant", tool="bash"))
    trial.add(Event(kind="observation", text="ok", exit_code=0, action_seq=0))
    tables = convert.trials_to_arrow([trial])
    for name, built in zip(("trials", "events", "commands"), tables):
        assert _schema_arrow(built.schema) == _db_arrow(fresh, name)
        assert built.num_rows > 0


def test_the_engines_label_frames_have_the_databases_columns(fresh):
    stored = fresh.sql("SELECT * EXCLUDE (created_at, run_id) FROM labels LIMIT 0").pl().schema
    assert dict(stored) == dict(LABEL_COLUMNS)

    def plain(dtype):  # DuckDB names the session's time zone; any zone means TIMESTAMPTZ
        return ("datetime", dtype.time_unit, dtype.time_zone is not None) if hasattr(dtype, "time_zone") else dtype

    for table in schema.TABLES:
        stored = fresh.sql(f"SELECT * FROM {table.name} LIMIT 0").pl().schema
        assert {k: plain(v) for k, v in stored.items()} == {c.name: plain(c.polars) for c in table.columns}


def test_checks_come_from_the_value_lists(fresh):
    checks = {r[0] for r in fresh.execute(
        "SELECT expression FROM duckdb_constraints() WHERE constraint_type = 'CHECK'").fetchall()}
    assert "(kind IN ('message', 'action', 'observation'))" in checks
    assert "(outcome IN ('success', 'failure', 'unknown'))" in checks


def _describe(con) -> dict:
    """Everything about a database's shape that a migration must get right."""
    return {
        "columns": con.execute(
            "SELECT table_name, column_index, column_name, data_type, is_nullable, column_default, comment "
            "FROM duckdb_columns() WHERE schema_name = 'main' ORDER BY ALL").fetchall(),
        "constraints": con.execute(
            "SELECT table_name, constraint_type, expression, constraint_column_names "
            "FROM duckdb_constraints() WHERE schema_name = 'main' ORDER BY ALL").fetchall(),
        "indexes": con.execute(
            "SELECT table_name, index_name, expressions FROM duckdb_indexes() ORDER BY ALL").fetchall(),
        "views": con.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL").fetchall(),
        "tables": con.execute(
            "SELECT table_name, comment FROM duckdb_tables() ORDER BY ALL").fetchall(),
        "migrations": con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall(),
    }


def _v1_database(path: Path) -> None:
    con = duckdb.connect(str(path))
    sql = "\n".join(line.split("--")[0] for line in V1_SQL.read_text(encoding="utf-8").splitlines())
    for statement in sql.split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute("INSERT INTO trials (trial_id, format, source_path, local_key, outcome) "
                "VALUES ('t1', 'example', '/a.json', '', 'unknown'), ('t2', 'example', '/b.json', '', 'failure')")
    con.execute(
        """
        INSERT INTO labels (trial_id, seq, unit, label_id, classifier_version, score, evidence) VALUES
            ('t1', 0, 'action', 'PROC-KILL', '1', 1.0, 'kill 1'),
            ('t1', 0, 'action', 'PROC-KILL', '2', 1.0, 'kill 1'),
            ('t2', 3, 'action', 'PROC-KILL', '2', 1.0, 'pkill x'),
            ('t2', 4, 'observation', 'OBS-PORT', '1', 1.0, 'Errno 98')
        """
    )
    con.close()


def test_a_version_1_database_migrates_to_exactly_a_new_databases_shape(tmp_path, fresh):
    path = tmp_path / "old.duckdb"
    _v1_database(path)
    con = db.connect(path)
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
        assert _describe(con) == _describe(fresh)
    finally:
        con.close()


def test_labels_carry_no_index_in_a_new_or_a_migrated_database(tmp_path, fresh):
    """Every classify run deletes and rewrites labels; an index on them cost more than it gave."""
    path = tmp_path / "old.duckdb"
    _v1_database(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'labels'").fetchall() == [(1,)]
    con.close()
    con = db.connect(path)
    try:
        for each in (con, fresh):
            indexed = {r[0] for r in each.execute("SELECT table_name FROM duckdb_indexes()").fetchall()}
            assert "labels" not in indexed and {"events", "commands"} <= indexed
    finally:
        con.close()


def test_a_migrated_databases_labels_are_current_and_keep_the_versions_readers_showed(tmp_path):
    path = tmp_path / "old.duckdb"
    _v1_database(path)
    con = db.connect(path)
    try:
        current = con.execute(
            "SELECT trial_id, seq, label_id, classifier_version, run_id FROM current_labels ORDER BY ALL").fetchall()
        # the highest version of each ID was what every reader showed; the lower one is gone
        assert current == [("t1", 0, "PROC-KILL", "2", 0), ("t2", 3, "PROC-KILL", "2", 0),
                           ("t2", 4, "OBS-PORT", "1", 0)]
        assert con.execute("SELECT count(*) FROM labels").fetchall()[0][0] == 3
        run = con.execute("SELECT run_id, status, rules, trials, labels FROM classify_runs").fetchall()
        assert len(run) == 1 and run[0][:2] == (0, "complete") and run[0][3:] == (2, 3)
        assert json.loads(run[0][2]) == {"OBS-PORT": "1", "PROC-KILL": "2"}
    finally:
        con.close()


def test_reading_an_unmigrated_database_read_only_asks_to_migrate_it(tmp_path):
    path = tmp_path / "old.duckdb"
    _v1_database(path)
    with pytest.raises(db.SchemaError, match="schema version 1"):
        db.connect(path, read_only=True)


def test_a_database_with_clashing_tables_is_not_taken_for_a_redline_database(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE events (x INTEGER)")
    con.close()
    with pytest.raises(db.SchemaError, match="events"):
        db.connect(path)


def test_classify_of_an_unmigrated_database_migrates_it_first(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "old.duckdb"
    _v1_database(path)
    exe = Path(sys.executable).with_name("redline")
    done = subprocess.run([str(exe), "classify", "--db", str(path), "--no-models"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "over 2 trials" in done.stdout
    con = db.connect(path, read_only=True)
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
    finally:
        con.close()
