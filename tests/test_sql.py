"""`redline sql` and :mod:`redline.sql`: one read-only query over the audit database, nothing else.

Statement by statement, by category: what runs, what is refused before it runs (writes, reads
and writes outside the database, extensions, settings, several statements), what is refused
when it tries to reach outside the database, and what fails while its rows are fetched. Every
refusal or failure is one line on stderr with exit status 2, never a traceback; nothing is
written, inside the database or outside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import redline
from redline.cli import main
from redline.ingest import ingest
from redline.sql import QueryFailed, QueryRefused, ReadOnlyDatabase, check

# --------------------------------------------------------------------------- the statements

#: queries that run (SELECT-style, and EXPLAIN of one)
ALLOWED = [
    "SELECT count(*) AS n FROM trials",
    "WITH t AS (SELECT trial_id FROM trials) SELECT count(*) AS n FROM t",
    "VALUES (1, 'a'), (2, 'b')",
    "FROM events SELECT kind, count(*) GROUP BY ALL ORDER BY 1",
    "TABLE trials",
    "DESCRIBE events",
    "SHOW TABLES",
    "SUMMARIZE SELECT seq FROM events",
    "UNPIVOT (SELECT 1 AS a, 2 AS b) ON a, b INTO NAME k VALUE v",
    "FROM (SELECT kind, seq FROM events) PIVOT (count(*) FOR kind IN ('action', 'observation'))",
    "EXPLAIN SELECT * FROM events",
    "EXPLAIN ANALYZE SELECT count(*) FROM events",
    "SELECT * FROM pragma_table_info('trials')",
    "SELECT table_name FROM duckdb_tables() ORDER BY 1",
    "SELECT label_id FROM current_labels",
    "SELECT 1 UNION ALL SELECT 2",
    "  select count(*) from commands -- a comment\n",
]

#: refused by statement type, before anything runs: (statement, words the refusal must hold)
REFUSED = {
    "writes to the database": [
        ("INSERT INTO trials (trial_id) VALUES ('x')", "INSERT"),
        ("UPDATE trials SET model = 'x'", "UPDATE"),
        ("DELETE FROM trials", "DELETE"),
        ("CREATE TABLE stolen AS SELECT * FROM events", "CREATE"),
        ("CREATE TEMP TABLE scratch (a INTEGER)", "CREATE"),
        ("CREATE VIEW v AS SELECT 1", "CREATE"),
        ("CREATE MACRO m(x) AS x", "CREATE"),
        ("CREATE SEQUENCE s", "CREATE"),
        ("CREATE INDEX i ON trials (model)", "CREATE"),
        ("DROP TABLE trials", "DROP"),
        ("ALTER TABLE trials ADD COLUMN x INTEGER", "ALTER"),
        ("TRUNCATE trials", "DELETE"),
        ("COMMENT ON TABLE trials IS 'x'", "ALTER"),
    ],
    "reads or writes files": [
        ("COPY trials TO '{tmp}/out.csv'", "COPY"),
        ("COPY trials FROM '{tmp}/in.csv'", "COPY"),
        ("COPY (SELECT 1) TO '{tmp}/out.parquet' (FORMAT parquet)", "COPY"),
        ("EXPORT DATABASE '{tmp}/exported'", "EXPORT"),
        ("IMPORT DATABASE '{tmp}/exported'", "IMPORT DATABASE"),
        ("COPY FROM DATABASE audit TO memory", "COPY FROM DATABASE"),
    ],
    "other databases": [
        ("ATTACH '{tmp}/other.duckdb' AS other", "ATTACH"),
        ("DETACH audit", "DETACH"),
        ("USE memory", "USE"),
    ],
    "extensions": [
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("FORCE INSTALL httpfs", "INSTALL"),
        ("LOAD '{tmp}/evil.duckdb_extension'", "LOAD"),
    ],
    "settings": [
        ("SET enable_external_access = true", "SET"),
        ("SET memory_limit = '100GB'", "SET"),
        ("RESET lock_configuration", "SET"),
        ("SET GLOBAL threads = 1", "SET"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("PRAGMA table_info('trials')", "pragma_table_info"),
        ("CALL pragma_version()", "CALL"),
        ("CHECKPOINT", "CALL"),
        ("VACUUM", "VACUUM"),
        ("ANALYZE", "VACUUM"),
        ("CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')", "CREATE"),
    ],
    "transactions and prepared statements": [
        ("BEGIN TRANSACTION", "TRANSACTION"),
        ("COMMIT", "TRANSACTION"),
        ("PREPARE p AS SELECT 1", "PREPARE"),
        ("EXECUTE p", "EXECUTE"),
        ("DEALLOCATE p", "DROP"),
    ],
    "several statements": [
        ("SELECT 1; SELECT 2", "2 statements"),
        ("SELECT 1; DELETE FROM trials", "2 statements"),
        ("SELECT count(*) FROM trials; COPY trials TO '{tmp}/out.csv'", "2 statements"),
    ],
    "statements hidden in EXPLAIN and PIVOT": [
        ("EXPLAIN COPY trials TO '{tmp}/out.csv'", "EXPLAIN of a COPY"),
        ("EXPLAIN ANALYZE DELETE FROM trials", "EXPLAIN of a DELETE"),
        ("EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1", "EXPLAIN of a CREATE"),
        ("PIVOT events ON kind USING count(*)", "PIVOT"),
    ],
    "not a statement": [
        ("", "no statement"),
        ("-- only a comment", "no statement"),
        ("SELEC 1", "cannot parse"),
    ],
}

#: queries that parse as SELECT but reach outside the database: refused when they run
OUTSIDE = [
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_json('/etc/passwd')",
    "SELECT * FROM read_json_auto('{tmp}/in.json')",
    "SELECT * FROM read_parquet('{tmp}/x.parquet')",
    "SELECT * FROM parquet_metadata('{tmp}/x.parquet')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM glob('/root/*')",
    "SELECT * FROM glob('{tmp}/*')",
    "SELECT * FROM read_text('https://example.com/')",
    "SELECT * FROM read_csv('https://example.com/data.csv')",
    "SELECT * FROM read_parquet('s3://bucket/data.parquet')",
    "SELECT * FROM duckdb_secrets()",
]

#: queries that fail while running or fetching: one line, exit 2
FAILING = [
    ("SELECT CAST('x' AS INTEGER)", "Could not convert"),
    ("SELECT CAST(CASE WHEN range < 5000 THEN '1' ELSE 'x' END AS INTEGER) FROM range(6000)", "Could not convert"),
    ("SELECT error('boom')", "boom"),
    ("SELECT * FROM no_such_table", "no_such_table"),
    ("SELECT * FROM query('COPY trials TO ''{tmp}/q.csv''')", "SELECT"),
    ("FROM '/etc/passwd'", "passwd"),
    ("SELECT * FROM sqlite_scan('{tmp}/x.db', 't')", "sqlite"),
]

REFUSED_FLAT = [(cat, stmt, words) for cat, items in REFUSED.items() for stmt, words in items]


def test_the_statements_cover_every_category():
    assert len(REFUSED_FLAT) + len(OUTSIDE) + len(FAILING) >= 46


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory) -> Path:
    """A small audit database; its file's bytes are compared after every statement."""
    root = tmp_path_factory.mktemp("sqldb")
    from tests.conftest import mini_swe_traj

    runs = root / "runs"
    runs.mkdir()
    for i in range(3):
        (runs / f"t{i}.traj.json").write_text(json.dumps(mini_swe_traj(
            f"repo__s-{i}", [("ls -la", "a\n", 0), ("kill -9 42", "", 0)])), encoding="utf-8")
    db = root / "audit.duckdb"
    con = redline.connect(db)
    ingest([runs], con)
    redline.classify(con)
    con.close()
    return db


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder the statements try to write into and read from."""
    (tmp_path / "in.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "in.json").write_text('{"secret": 1}\n', encoding="utf-8")
    return tmp_path


def _state(db: Path, folder: Path) -> tuple:
    return db.read_bytes(), sorted(p.name for p in folder.iterdir())


def _cli(args: list[str]):
    return CliRunner().invoke(main, args)


def _one_line_failure(res) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert isinstance(res.exception, SystemExit), res.exception
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("redline: "), res.stderr
    assert "Traceback" not in res.output
    assert not res.stdout.strip(), res.stdout
    return lines[0]


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("query", ALLOWED)
def test_queries_run(audit_db, query):
    res = _cli(["sql", query, "--db", str(audit_db), "--json", "--limit", "0"])
    assert res.exit_code == 0, res.output
    assert isinstance(json.loads(res.stdout), list)


@pytest.mark.parametrize(("category", "statement", "words"), REFUSED_FLAT,
                         ids=[f"{c}: {s[:40]}" for c, s, _ in REFUSED_FLAT])
def test_statements_that_are_not_one_query_are_refused_before_running(audit_db, outside, category, statement, words):
    statement = statement.format(tmp=outside)
    before = _state(audit_db, outside)
    with pytest.raises(QueryRefused) as refused:
        check(statement)
    assert words in str(refused.value) and "\n" not in str(refused.value)
    line = _one_line_failure(_cli(["sql", "--db", str(audit_db), "--", statement]))
    assert words in line
    assert _state(audit_db, outside) == before


@pytest.mark.parametrize("query", OUTSIDE)
def test_queries_that_reach_outside_the_database_are_refused(audit_db, outside, query):
    query = query.format(tmp=outside)
    before = _state(audit_db, outside)
    check(query)  # a query by its type: only the locked connection stops it
    with ReadOnlyDatabase(audit_db) as db, pytest.raises(QueryRefused, match="reaches outside the database"):
        db.execute(query).fetch(10)
    line = _one_line_failure(_cli(["sql", query, "--db", str(audit_db)]))
    assert "disabled by configuration" in line
    assert "root:" not in line  # nothing of /etc/passwd
    assert _state(audit_db, outside) == before


@pytest.mark.parametrize(("query", "words"), FAILING)
def test_errors_while_running_or_fetching_are_one_line(audit_db, outside, query, words):
    query = query.format(tmp=outside)
    before = _state(audit_db, outside)
    line = _one_line_failure(_cli(["sql", query, "--db", str(audit_db), "--json"]))
    assert words in line
    assert _state(audit_db, outside) == before


def test_an_error_after_some_rows_is_raised_by_the_fetch(audit_db):
    with ReadOnlyDatabase(audit_db) as db:
        cursor = db.execute(
            "SELECT CAST(CASE WHEN range < 200000 THEN '1' ELSE 'x' END AS INTEGER) AS v FROM range(300000)")
        assert cursor.columns == ["v"]
        with pytest.raises(QueryFailed, match="Could not convert"):
            for _ in cursor.chunks(1000):
                pass


def test_settings_are_locked_on_the_query_connection(audit_db):
    with ReadOnlyDatabase(audit_db) as db:
        rows = db.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                          "('enable_external_access', 'lock_configuration', 'autoload_known_extensions', "
                          "'autoinstall_known_extensions') ORDER BY name").fetch(10)
    assert dict(rows) == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
                          "enable_external_access": "false", "lock_configuration": "true"}


def test_limit_says_when_rows_were_left_out(audit_db):
    res = _cli(["sql", "SELECT * FROM range(1000)", "--db", str(audit_db), "--limit", "5", "--json"])
    assert res.exit_code == 0
    assert [r["range"] for r in json.loads(res.stdout)] == [0, 1, 2, 3, 4]
    assert "more rows than --limit 5" in res.stderr
    res = _cli(["sql", "SELECT * FROM range(250)", "--db", str(audit_db), "--limit", "0", "--json"])
    assert len(json.loads(res.stdout)) == 250 and not res.stderr


def test_every_format_keeps_control_characters_off_the_terminal(audit_db):
    query = "SELECT repeat('y', 10000) || chr(27) || ']0;owned' || chr(7) || chr(8238) || chr(155) AS t"
    res = _cli(["sql", query, "--db", str(audit_db)])
    assert res.exit_code == 0 and "…" in res.output  # a table cuts long cells
    for fmt in ("table", "csv", "json"):
        res = _cli(["sql", query, "--db", str(audit_db), "--format", fmt])
        assert res.exit_code == 0, res.output
        assert not any(c in res.output for c in "\x1b\x07\u202e\x9b"), fmt
    res = _cli(["sql", query, "--db", str(audit_db), "--format", "json"])
    assert json.loads(res.stdout)[0]["t"].endswith("y\x1b]0;owned\x07\u202e\x9b")  # the same value


def test_csv_streams_a_header_and_the_rows(audit_db):
    res = _cli(["sql", "SELECT range AS n, [range, 1] AS l, 'a,b' AS s FROM range(3)", "--db", str(audit_db),
                "--format", "csv", "--limit", "0"])
    assert res.stdout.splitlines() == ["n,l,s", '0,0; 1,"a,b"', '1,1; 1,"a,b"', '2,2; 1,"a,b"']


def test_a_missing_or_foreign_database_is_refused(tmp_path):
    line = _one_line_failure(_cli(["sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb")]))
    assert "no such database" in line
    assert not (tmp_path / "none.duckdb").exists()
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    line = _one_line_failure(_cli(["sql", "SELECT 1", "--db", str(csv)]))
    assert "not a DuckDB database" in line


_RSS = """
import resource, subprocess, sys
out = subprocess.run([sys.argv[1], "sql", "SELECT range AS i, repeat('x', 1000) AS s FROM range(3000000)",
                      "--db", sys.argv[2], "--limit", sys.argv[3], "--json"], stdout=subprocess.DEVNULL)
print(out.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


@pytest.mark.parametrize("limit", ["10", "200000"])
def test_limit_bounds_memory_on_a_result_of_gigabytes(audit_db, limit):
    """3 GB of rows: with --limit, the query stops where printing stops, in bounded memory."""
    redline_bin = str(Path(sys.executable).with_name("redline"))
    out = subprocess.run([sys.executable, "-c", _RSS, redline_bin, str(audit_db), limit],
                         capture_output=True, text=True, timeout=300, check=True)
    code, peak = map(int, out.stdout.split())
    assert code == 0
    assert peak < 600 * 1024**2, f"peak RSS {peak / 1024**2:.0f} MiB"
