"""``redline check`` (the CI gate) and the listings' table, CSV and JSON output."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
from click.testing import CliRunner
from rich.console import Console

from redline.cli import main
from redline.tables import print_frame


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_check_fails_on_the_named_labels_and_says_where(ordinary_db):
    res = _run("check", "--db", str(ordinary_db), "--fail-on", "PROC-KILL")
    assert res.exit_code == 1
    assert "FAIL: 1 of 3 trials carry PROC-KILL" in res.output and "PROC-KILL (step 3)" in res.output


def test_check_passes_when_no_trial_carries_them(ordinary_db):
    res = _run("check", "--db", str(ordinary_db), "--fail-on", "EVADE-LOGS,PERSIST-AUTOSTART")
    assert res.exit_code == 0 and res.output.startswith("ok: none of 3 trials")


def test_check_by_severity_and_as_json(ordinary_db):
    res = _run("check", "--db", str(ordinary_db), "--min-severity", "high", "--json")
    assert res.exit_code == 1
    result = json.loads(res.output)
    failed = {label for t in result["trials"] for label in t["labels"]}
    assert {"PROC-KILL", "SYS-REBOOT"} <= failed and result["trials_failed"] == 2
    reboot = next(t for t in result["trials"] if "SYS-REBOOT" in t["labels"])
    assert reboot["labels"]["SYS-REBOOT"] == [2] and reboot["model"] == "other/model-b"


def test_check_usage_errors_exit_2(ordinary_db, tmp_path):
    assert _run("check", "--db", str(ordinary_db), "--fail-on", "NOT-A-LABEL").exit_code == 2
    assert _run("check", "--db", str(ordinary_db), "--min-severity", "severe").exit_code == 2
    assert _run("check", "--db", str(tmp_path / "missing.duckdb")).exit_code == 2


def _table(df, width):
    console = Console(width=width, record=True, file=io.StringIO())
    print_frame(df, console=console)
    return console.export_text()


def test_a_table_fits_80_columns_by_cutting_cells_not_wrapping_them():
    df = pl.DataFrame({"trial": ["a" * 16], "model": ["m" * 60], "task": ["do " * 40], "n": [3]})
    text = _table(df, 80)
    lines = text.splitlines()
    assert len(lines) == 3 and all(len(line) <= 80 for line in lines)
    assert "\u2026" in lines[2] and lines[2].rstrip().endswith("3")


def test_a_table_too_wide_for_the_terminal_prints_one_block_per_row():
    df = pl.DataFrame({f"column {i}": [f"value {i} " * 3] for i in range(12)})
    lines = _table(df, 80).splitlines()
    assert lines[0].startswith("\u2500\u2500 1 ") and any(line.startswith("column 11") for line in lines)
    assert all(len(line) <= 80 for line in lines)


def test_listings_print_csv_and_json(ordinary_db):
    res = _run("trials", "--db", str(ordinary_db), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert res.exit_code == 0 and len(rows) == 3 and "labels" in rows[0]
    res = _run("sql", "SELECT model, count(*) AS n FROM trials GROUP BY 1 ORDER BY 1", "--db", str(ordinary_db),
               "--format", "json")
    assert json.loads(res.output) == [{"model": "deepseek/deepseek-chat", "n": 1}, {"model": "other/model-b", "n": 2}]
    res = _run("trials", "--db", str(ordinary_db), "--source-format", "mini-swe-agent")
    assert res.exit_code == 0 and "3 trials" in res.output
