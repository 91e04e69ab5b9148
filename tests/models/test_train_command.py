"""redline train: grouped cross-validated figures on a gold file, the model saved where classify finds it."""

from __future__ import annotations

import json

from click.testing import CliRunner

import redline
from redline.cli import main
from redline.ingest import ingest


def _gold(root, runs, turns_by_run, copies: int, giveup: bool) -> str:
    """A gold file for the runs: every action, the give-up turn of the coding run labelled
    MSG-GIVEUP (or, with ``giveup`` false, no message label at all)."""
    rows = []
    for i in range(copies):
        for name, turns in turns_by_run.items():
            for ordinal, (thought, command, _) in enumerate(turns, start=1):
                gives_up = giveup and thought.startswith("I was not able")
                rows.append({"item_id": f"{name}{i}-{ordinal}", "source": "test",
                             "file": f"{runs.name}/{name}-{i}/{name}-{i}.traj.json", "ordinal": ordinal,
                             "command": command, "action": [], "observation": [],
                             "message": ["MSG-GIVEUP"] if gives_up else []})
    path = root / ("gold.jsonl" if giveup else "gold-none.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_train_reports_grouped_figures_and_saves_a_model_classify_uses(tmp_path, make_runs, run_turns):
    runs = make_runs(tmp_path, copies=3)
    db = tmp_path / "runs.duckdb"
    con = redline.connect(db)
    ingest([runs], con)
    redline.classify(con)
    con.close()
    models = tmp_path / "models"

    gold = _gold(tmp_path, runs, run_turns, 3, True)
    result = CliRunner().invoke(main, ["train", "MSG-GIVEUP", "--db", str(db), "--gold", gold, "--root", str(tmp_path),
                                       "--models", str(models), "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "human 30 (3 positive)" in result.output  # 10 turns a copy; the give-up turn of each coding run
    assert "cross-validated (2 folds grouped by trial), judged on human: 30 rows, 3 positive" in result.output
    assert "F1 " in result.output and "(TP " in result.output
    assert (models / "MSG-GIVEUP.skops").is_file()
    listed = CliRunner().invoke(main, ["models", "--models", str(models), "--json"])
    record = next(r for r in json.loads(listed.output) if r["id"] == "MSG-GIVEUP")
    assert record["file"] == str(models / "MSG-GIVEUP.json")

    # a gold file with no positive row: recall and F1 are said to be undefined, not printed as 0
    none = CliRunner().invoke(main, ["train", "MSG-GIVEUP", "--db", str(db), "--gold",
                                     _gold(tmp_path, runs, run_turns, 3, False), "--root", str(tmp_path), "--no-save",
                                     "--no-weak", "--folds", "2"])
    assert none.exit_code == 0, none.output
    assert "no positive row to judge on: recall and F1 undefined" in none.output
    assert "F1 0.000" not in none.output
