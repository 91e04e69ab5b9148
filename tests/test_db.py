from __future__ import annotations

import duckdb
import pytest

from redline import db


def test_new_database_has_every_table_and_the_current_schema_version(tmp_path):
    con = db.connect(tmp_path / "a.duckdb")
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(db.TABLES) | {"schema_migrations"} <= tables
    assert db.schema_version(con) == db.SCHEMA_VERSION
    con.close()


def test_reopening_does_not_reapply_migrations(tmp_path):
    path = tmp_path / "a.duckdb"
    db.connect(path).close()
    con = db.connect(path)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == len(db.MIGRATIONS)
    con.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    con.close()
    with pytest.raises(db.SchemaError, match="newer"):
        db.connect(path)


def test_read_only_open_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.duckdb"):
        db.connect(tmp_path / "nothing.duckdb", read_only=True)


def test_outcome_and_kind_are_constrained(tmp_path):
    con = db.connect(tmp_path / "a.duckdb")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO trials (trial_id, format, source_path, local_key, outcome) "
                    "VALUES ('t', 'x', 'p', '', 'maybe')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO events (trial_id, seq, kind) VALUES ('t', 0, 'thought')")
    con.close()


def test_connections_cap_duckdb_memory(tmp_path):
    ref = duckdb.connect()
    default = ref.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    ref.execute(f"SET memory_limit = '{db.MEMORY_LIMIT}'")
    expected = ref.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con = db.connect(tmp_path / "a.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == expected != default
    con.close()


def test_open_current_opens_a_current_database_read_only(tmp_path):
    path = tmp_path / "a.duckdb"
    db.connect(path).close()
    con = db.open_current(path)
    assert con is not None
    assert con.execute("SELECT count(*) FROM trials").fetchall() == [(0,)]
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM trials")
    con.close()


def test_open_current_leaves_anything_else_to_connect(tmp_path):
    assert db.open_current(tmp_path / "missing.duckdb") is None
    (tmp_path / "notes.duckdb").write_text("not a database\n")
    assert db.open_current(tmp_path / "notes.duckdb") is None
    newer = tmp_path / "newer.duckdb"
    db.connect(newer).close()
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    con.close()
    assert db.open_current(newer) is None
    with pytest.raises(db.SchemaError, match="newer"):
        db.connect(newer)
    attached = tmp_path / "attached.duckdb"
    db.connect(attached).close()
    con = duckdb.connect(str(attached))
    con.execute(f"CREATE TABLE {db.ATTACHED_TABLE} (uri VARCHAR, schema_version INTEGER)")
    con.execute(f"INSERT INTO {db.ATTACHED_TABLE} VALUES ('elsewhere', ?)", [db.SCHEMA_VERSION])
    con.close()
    assert db.open_current(attached) is None
    with pytest.raises(db.SchemaError, match="views over the dataset elsewhere"):
        db.connect(attached)


def test_a_query_only_connection_leaves_the_duckdb_package_unimported_where_the_engine_module_exists(tmp_path):
    import importlib.util
    import subprocess
    import sys

    path = tmp_path / "a.duckdb"
    db.connect(path).close()
    script = ("import sys\nfrom redline import db\ncon = db.open_current(sys.argv[1], queries_only=True)\n"
              "print(con.execute('SELECT max(version) FROM schema_migrations').fetchall()[0][0], "
              "'duckdb' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    engine_alone = importlib.util.find_spec("_duckdb") is not None
    assert done.stdout.split() == [str(db.SCHEMA_VERSION), str(not engine_alone)]
