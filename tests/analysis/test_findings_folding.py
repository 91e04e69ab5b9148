"""Repeated findings folded for the auditor: one row per kind and subject, at one severity, in one
task by one model, counting what it stands for and keeping every finding reachable, through the
library, ``redline findings`` (folded, ``--unfold``, ``--json``) and the report (summary and HTML)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from tests.analysis.steps import mini_step as M

import redline
from redline.analysis.folding import FOLD_KEY, fold, rank_runs
from redline.analysis.store import folded_findings, stored
from redline.cli import main
from redline.reports.render import write_report

SWEEP = "acme__serve-101"
OTHER = "other/model-b"


def _kill(audit, name: str, pid: int, model: str | None = None, task_id: str = SWEEP) -> None:
    spec = {"model": model} if model else {}
    audit.mini(name, [M("A stale server from an earlier run holds the port; kill it.", f"kill -9 {pid}", ""),
                      M("Run the checks again.", "python3 -m pytest -q tests/test_server.py", "3 passed in 0.4s\n")],
               instance_id=task_id, **spec)


@pytest.fixture
def sweep(audit):
    """Five runs of one task kill a process with the default model, two with another model, one
    run of another task kills too; three runs install an unrequested package and one run of a
    task whose prompt names it installs it (the task asked for it: a severity lower)."""
    for i in range(5):
        _kill(audit, f"kill{i}", 4000 + i)
    for i in range(2):
        _kill(audit, f"other{i}", 5000 + i, model=OTHER)
    _kill(audit, "solo", 6000, task_id="acme__solo-1")
    for i in range(3):
        audit.mini(f"unasked{i}", [M("Try the helper.", "pip install yaml-linter-pro",
                                    "Successfully installed yaml-linter-pro-2.1\n")], instance_id=SWEEP)
    audit.mini("asked", [M("Go.", "pip install yaml-linter-pro", "Successfully installed yaml-linter-pro-2.1\n")],
               task="Install yaml-linter-pro and make the configuration files pass it.", instance_id=SWEEP)
    con = audit.run()
    names = {tid: Path(path).name.split(".")[0] for tid, path in
             con.execute("SELECT trial_id, source_path FROM trials").fetchall()}
    con.close()
    return audit, names


def _rows(audit) -> tuple[pl.DataFrame, pl.DataFrame]:
    con = redline.connect(audit.db, read_only=True)
    try:
        return stored(con, "findings"), folded_findings(con)
    finally:
        con.close()


def test_repeats_fold_into_one_row_per_kind_subject_severity_task_and_model(sweep):
    audit, names = sweep
    findings, folded = _rows(audit)
    # no finding left out: every finding is an instance of exactly one row
    ranks = [f["rank"] for row in folded["instances"].to_list() for f in row]
    assert sorted(ranks) == findings["rank"].to_list() == list(range(1, findings.height + 1))
    assert folded["findings"].sum() == findings.height
    assert folded["rank"].to_list() == list(range(1, folded.height + 1))
    # rows in the order of their best finding, which they show; severity bands kept
    assert folded["best_rank"].to_list() == sorted(folded["best_rank"].to_list())
    for row in folded.iter_rows(named=True):
        inst = row["instances"]
        assert [f["rank"] for f in inst] == sorted(f["rank"] for f in inst) and inst[0]["rank"] == row["best_rank"]
        assert (row["trial_id"], row["step"], row["score"]) == (inst[0]["trial_id"], inst[0]["step"], inst[0]["score"])
        kinds = {(f["kind"], f["subject"], f["severity"]) for f in inst}
        assert kinds == {(row["kind"], row["subject"], row["severity"])}
        assert row["trials"] == len({f["trial_id"] for f in inst})
    order = [{"high": 0, "medium": 1, "low": 2}[s] for s in folded["severity"]]
    assert order == sorted(order)
    kills = folded.filter(pl.col("subject") == "PROC-KILL")
    by = {(r["task"], r["model"]): r for r in kills.iter_rows(named=True)}
    assert len(by) == 3  # the sweep by each model, and the other task
    main_row = by[(next(t for t in by if t[1] == "deepseek/deepseek-chat" and t[0] != "acme__solo-1"))]
    assert main_row["findings"] == 5 and main_row["trials"] == 5
    assert {names[f["trial_id"]] for f in main_row["instances"]} == {f"kill{i}" for i in range(5)}
    # a step finding stands for every step of its trial with its label: one kill each here
    assert main_row["steps"] == 5
    other = next(r for (t, m), r in by.items() if m == OTHER)
    assert other["findings"] == 2 and {names[f["trial_id"]] for f in other["instances"]} == {"other0", "other1"}
    # the install the task asked for is a severity lower: a row of its own, below the unasked ones
    installs = folded.filter(pl.col("subject") == "PKG-INSTALL")
    assert installs.select("severity", "findings").rows() == [("medium", 3), ("low", 1)]
    assert names[installs.row(1, named=True)["trial_id"]] == "asked"


def test_fold_is_a_pure_function_of_findings_and_trials():
    findings = pl.DataFrame({
        "rank": [1, 2, 4, 3], "trial_id": ["a", "b", "c", "a"], "seq": [3, 5, None, 9], "step": [2, 3, None, 5],
        "kind": ["step", "step", "outlier", "episode"], "subject": ["PROC-KILL"] * 2 + ["unusual trial", "RES-KILL"],
        "episode_id": [None, None, None, 1], "severity": ["high", "high", "medium", "high"],
        "score": [26.0, 20.5, 16.0, 20.1], "why": ["w1", "w2", "w3", "w4"],
        "factors": ['{"steps": 4}', '{"steps": 2}', "{}", "{}"]}).sort("severity", "rank")  # as ranked: high first
    trials = pl.DataFrame({"trial_id": ["a", "b", "c"], "task": ["t", "t", "t"], "model": ["m", "m", "m"]})
    out = fold(findings, trials)
    assert out.select("rank", "subject", "findings", "trials", "steps", "best_rank").rows() == [
        (1, "PROC-KILL", 2, 2, 6, 1), (2, "RES-KILL", 1, 1, 1, 3), (3, "unusual trial", 1, 1, 0, 4)]
    assert out["scenario"].to_list() == [None] * 3  # trials without a scenario column fold by the rest
    assert fold(findings.clear(), trials).columns == out.columns
    assert list(FOLD_KEY) == ["severity", "kind", "subject", "task", "scenario", "model"]
    assert rank_runs([60, 4, 5, 6, 62, 63]) == "4-6, 60, 62-63"
    assert rank_runs([1, 3, 5, 7, 9], most=2) == "1, 3, … (3 more, to 9)"


def test_the_findings_command_folds_and_unfolds(sweep):
    audit, _ = sweep
    db = str(audit.db)
    findings, folded = _rows(audit)
    runner = CliRunner()
    res = runner.invoke(main, ["findings", "--db", db, "-n", "0"])
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.startswith(f"{findings.height} findings from ") and f"in {folded.height} rows" in first
    heads = [line for line in res.output.splitlines() if line.startswith("#")]
    assert len(heads) == folded.height
    # the three kill rows first (which comes first depends on the trial IDs alone)
    assert sum(bool(re.search(r"^#[123] .* PROC-KILL  ×5$", h)) for h in heads[:3]) == 1, heads[:3]
    assert sum(bool(re.search(r"^#[123] .* PROC-KILL  ×2$", h)) for h in heads[:3]) == 1, heads[:3]
    assert sum(bool(re.search(r"^#[123] .* PROC-KILL$", h)) for h in heads[:3]) == 1, heads[:3]
    assert "5 findings in 5 trials, on 5 steps" in res.output
    assert re.search(r"shown: finding #1, trial \w+ step 1; the others? ranked [\d, -]+", res.output)
    # a limit says how many rows it left out, and the totals stay on the first line
    res = runner.invoke(main, ["findings", "--db", db, "-n", "1"])
    assert res.output.splitlines()[0] == first and f"1 of {folded.height} rows shown" in res.output
    # --unfold: every finding on its own line, in rank order, as before
    res = runner.invoke(main, ["findings", "--db", db, "--unfold", "-n", "0"])
    heads = [line for line in res.output.splitlines() if line.startswith("#")]
    assert [int(h[1:].split()[0]) for h in heads] == findings["rank"].to_list()
    flat = json.loads(runner.invoke(main, ["findings", "--db", db, "--unfold", "--json", "-n", "0"]).output)
    assert [f["rank"] for f in flat] == findings["rank"].to_list() and isinstance(flat[0]["factors"], dict)
    # --json: the totals, the key, and each row with every finding it stands for
    out = json.loads(runner.invoke(main, ["findings", "--db", db, "--json", "-n", "3"]).output)
    assert out["totals"] == {"findings": findings.height, "rows": folded.height,
                             "trials": findings["trial_id"].n_unique()}
    assert out["key"] == list(FOLD_KEY) and len(out["rows"]) == 3  # the three kill rows
    top = next(r for r in out["rows"] if r["findings"] == 5)
    assert top["findings"] == len(top["instances"]) == 5 and top["rank"] <= 3
    assert top["instances"][0]["rank"] == top["best_rank"]  # (4 when the other model's two kills rank first)
    assert {f["rank"] for f in top["instances"]} <= {f["rank"] for f in flat}
    assert isinstance(top["factors"], dict) and all(isinstance(f["factors"], dict) for f in top["instances"])


def test_the_report_folds_the_same_way_and_lists_every_instance(sweep, tmp_path):
    audit, _ = sweep
    findings, folded = _rows(audit)
    s = json.loads(CliRunner().invoke(main, ["report", "--db", str(audit.db), "--format", "json"]).output)
    assert (s["findings"]["total"], s["findings"]["rows"]) == (findings.height, folded.height)
    [top] = [r for r in s["findings"]["top"] if r["findings"] == 5]
    five = folded.filter(pl.col("findings") == 5).row(0, named=True)
    assert top["rank"] == five["rank"] <= 3
    assert [i["rank"] for i in top["instances"]] == [f["rank"] for f in five["instances"]]
    md = CliRunner().invoke(main, ["report", "--db", str(audit.db), "--format", "md"]).output
    assert f"of {folded.height} rows, {findings.height} findings" in md
    assert re.search(r"[123]\. \*\*high\*\* `PROC-KILL` ×5 \(5 findings in 5 trials, on 5 steps;", md)
    con = redline.connect(audit.db, read_only=True)
    try:
        html = write_report(con, tmp_path / "r.html", single=True).read_text(encoding="utf-8")
    finally:
        con.close()
    assert f"{findings.height} findings in all,\nin {folded.height} rows" in html
    card = html[html.index('data-findings="5"'):]
    card = card[:card.index("</article>")]
    assert f"5 findings in 5 trials, on 5 steps; shown: finding #{five['best_rank']}" in card
    details = card[card.index('<details class="instances">'):]
    links = re.findall(r'<a href="#([^"]+)">#(\d+) trial', details)
    assert [int(r) for _, r in links] == [f["rank"] for f in five["instances"]]
    assert all(anchor.endswith("/step-1") for anchor, _ in links)
    # a row of one finding has no list to open
    single = html[html.index('data-findings="1"'):]
    assert '<details class="instances">' not in single[:single.index("</article>")]
