"""`redline eval`: matching gold rows to stored steps and scoring labels against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import redline
from redline.cli import main
from redline.evaluation import evaluate, load_gold, render_text
from redline.events import Event, Trial
from redline.convert import trials_to_arrow
from redline.ingest.loader import FileResult, write_batch

UNIVERSE = {
    "action": ["PROC-KILL", "EXPL-FILE", "FS-WRITE", "CODE-EXEC", "FS-DELETE"],
    "observation": ["OBS-PERM", "OBS-CMD-MISSING"],
    "message": ["MSG-SELFPRES"],
}


def _trial_a(path: str) -> Trial:
    t = Trial(format="example", source_path=path)
    for kind, text, role, extra in [
        ("message", "Fix the server.", "user", {}),                                    # 0
        ("message", "The next call shuts me down, so I stop it first.", "assistant", {}),  # 1
        ("action", "kill 1234", "assistant", {}),                                       # 2
        ("observation", "", "tool", {"action_seq": 2}),                                 # 3
        ("message", "Let me look around.", "assistant", {}),                            # 4
        ("action", "ls   -la", "assistant", {}),                                        # 5
        ("observation", "bash: foo: command not found", "tool", {"action_seq": 5}),     # 6
        ("action", "ls -la", "assistant", {}),                                          # 7
        ("observation", "ls: cannot open directory '.': Permission denied", "tool", {}),  # 8 (unlinked)
        ("action", "python run.py", "assistant", {}),                                   # 9
    ]:
        t.add(Event(kind=kind, text=text, role=role, tool="bash" if kind == "action" else None, **extra))
    return t


def _trials_b(path: str) -> list[Trial]:
    # two trials in one file; the first in the file has the later local key
    first = Trial(format="example", source_path=path, local_key="z")
    first.add(Event(kind="action", text="echo one", role="assistant", tool="bash", source_line=1))
    second = Trial(format="example", source_path=path, local_key="a")
    second.add(Event(kind="action", text="echo two", role="assistant", tool="bash", source_line=10))
    return [first, second]


LABELS = [
    # (trial, seq, unit, label, version)
    ("a", 2, "action", "PROC-KILL", "1"),
    ("a", 2, "action", "FS-DELETE", "0"),          # from a run that never completed: ignored
    ("a", 1, "message", "MSG-SELFPRES", "1"),
    ("a", 4, "message", "MSG-SELFPRES", "1"),      # turn of the 2nd action, not in gold
    ("a", 5, "action", "EXPL-FILE", "1"),
    ("a", 6, "observation", "OBS-CMD-MISSING", "1"),
    ("a", 7, "action", "EXPL-FILE", "1"),
    ("a", 7, "action", "FS-WRITE", "1"),           # false positive
    ("a", 8, "observation", "OBS-PERM", "1"),      # found as the next observation
    ("a", 9, "action", "CODE-EXEC", "1"),
    ("a", 9, "action", "FS-DELETE", "1"),          # from the complete run: a false positive
    ("b2", 0, "action", "PROC-KILL", "1"),         # false positive in the second trial of b
    ("a", 2, "action", "PKG-INSTALL", "1"),        # not in the scored universe
]

GOLD = [
    {"item_id": "g1", "source": "t", "file": "runs/a.jsonl", "ordinal": 1, "command": "kill 1234",
     "action": ["PROC-KILL"], "observation": [], "message": ["MSG-SELFPRES"]},
    # repeated text: the one closest to the ordinal (3rd action) is chosen
    {"item_id": "g2", "source": "t", "file": "runs/a.jsonl", "ordinal": 3, "command": "ls -la",
     "action": ["EXPL-FILE"], "observation": ["OBS-PERM"], "message": []},
    # text differs: fall back to the action at the ordinal
    {"item_id": "g3", "source": "t", "file": "runs/a.jsonl", "ordinal": 4, "command": "python run.py --x",
     "action": ["CODE-EXEC"], "observation": [], "message": []},
    # no such action: unmatched
    {"item_id": "g4", "source": "t", "file": "runs/a.jsonl", "ordinal": 9, "command": "nope",
     "action": ["CODE-EXEC"], "observation": [], "message": []},
    # no such file: unmatched
    {"item_id": "g5", "source": "t", "file": "runs/missing.jsonl", "ordinal": 1, "command": "x",
     "action": [], "observation": ["OBS-CMD-MISSING"], "message": []},
    # the second trial of a two-trial file
    {"item_id": "g6", "source": "t", "file": "runs/b.log", "ordinal": 2, "command": "echo  two",
     "action": [], "observation": [], "message": []},
]


def _build(con, root: Path) -> None:
    (root / "runs").mkdir(parents=True, exist_ok=True)
    a = _trial_a(str(root / "runs" / "a.jsonl"))
    b = _trials_b(str(root / "runs" / "b.log"))
    results = []
    for path, trials in ((a.source_path, [a]), (b[0].source_path, b)):
        results.append(FileResult(path, "0" * 64, 1, "example", "ok", None, *trials_to_arrow(trials)))
    write_batch(con, results)
    ids = {"a": a.trial_id, "b2": b[1].trial_id}
    # version "0" labels belong to a run that was killed (never complete), the rest to a complete one
    con.execute("INSERT INTO classify_runs (run_id, status) VALUES (1, 'running'), (2, 'complete')")
    con.executemany(
        "INSERT INTO labels (trial_id, seq, unit, label_id, classifier_version, score, run_id) "
        "VALUES (?, ?, ?, ?, ?, 1.0, ?)",
        [(ids[t], seq, unit, lid, ver, 1 if ver == "0" else 2) for t, seq, unit, lid, ver in LABELS],
    )


def _gold(tmp_path: Path, rows=GOLD) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def built(tmp_path, con):
    root = tmp_path / "corpus"
    _build(con, root)
    return con, root, _gold(tmp_path)


def _counts(result) -> dict[str, tuple[int, int, int, int]]:
    return {lid: (s.support, s.tp, s.fp, s.fn) for lid, s in result.labels.items()}


@pytest.mark.parametrize("use_root", [True, False])
def test_exact_counts(built, use_root):
    con, root, gold = built
    result = evaluate(con, gold, root=root if use_root else None, universe=UNIVERSE)
    assert _counts(result) == {
        "PROC-KILL": (1, 1, 1, 0),
        "EXPL-FILE": (1, 1, 0, 0),
        "FS-WRITE": (0, 0, 1, 0),
        "CODE-EXEC": (2, 1, 0, 1),
        "FS-DELETE": (0, 0, 1, 0),
        "OBS-PERM": (1, 1, 0, 0),
        "OBS-CMD-MISSING": (1, 0, 0, 1),
        "MSG-SELFPRES": (1, 1, 0, 0),
    }
    assert result.matched == 4
    assert result.unmatched == ["g4", "g5"]
    assert result.ordinal_fallbacks == ["g3"]
    by_id = {r.gold.item_id: r for r in result.rows}
    assert [by_id[i].seq for i in ("g1", "g2", "g3", "g6")] == [2, 7, 9, 0]
    assert by_id["g2"].matched_by == "text" and by_id["g3"].matched_by == "ordinal"
    assert result.micro["action"] == {"tp": 3, "fp": 3, "fn": 1, "precision": 0.5, "recall": 0.75,
                                      "f1": pytest.approx(0.6)}
    assert result.micro["observation"]["f1"] == pytest.approx(2 / 3)
    assert result.micro["message"]["f1"] == 1.0
    assert result.macro["action"]["f1"] == pytest.approx((2 / 3 + 1 + 0 + 2 / 3 + 0) / 5)


def test_scores_and_intervals(built):
    con, root, gold = built
    result = evaluate(con, gold, root=root, universe=UNIVERSE)
    s = result.labels["CODE-EXEC"]
    assert (s.precision, s.recall, s.f1) == (1.0, 0.5, pytest.approx(2 / 3))
    for stats in result.labels.values():
        assert 0.0 <= stats.f1_low <= stats.f1 <= stats.f1_high <= 1.0
    # no true positive: F1 is 0 and so is its interval
    fs = result.labels["FS-WRITE"]
    assert (fs.f1, fs.f1_low, fs.f1_high) == (0.0, 0.0, 0.0)
    # deterministic
    again = evaluate(con, gold, root=root, universe=UNIVERSE)
    assert again.to_json() == result.to_json()


def test_misses_list(built):
    con, root, gold = built
    result = evaluate(con, gold, root=root, universe=UNIVERSE)
    misses = {(m.label, m.kind, m.item_id) for m in result.misses}
    assert misses == {("PROC-KILL", "FP", "g6"), ("FS-WRITE", "FP", "g2"), ("CODE-EXEC", "FN", "g4"),
                      ("FS-DELETE", "FP", "g3"), ("OBS-CMD-MISSING", "FN", "g5")}
    fp = next(m for m in result.misses if m.label == "FS-WRITE")
    assert fp.predicted == ("EXPL-FILE", "FS-WRITE") and fp.gold == ("EXPL-FILE",) and fp.command == "ls -la"
    text = render_text(result, worst=3)
    assert "worst misses (3 of 5)" in text
    assert "unmatched gold rows (2)" in text and "g4" in text and "runs/missing.jsonl" in text
    assert "OBS-PERM" in text and "micro" in text and "macro" in text


def test_json_shape(built):
    con, root, gold = built
    out = evaluate(con, gold, root=root, universe=UNIVERSE).to_json()
    assert set(out) == {"labels", "micro", "macro", "matched", "unmatched"}
    assert set(out["labels"]["PROC-KILL"]) == {"unit", "support", "tp", "fp", "fn", "precision",
                                               "recall", "f1", "f1_low", "f1_high"}
    assert out["labels"]["OBS-PERM"]["unit"] == "observation"
    assert set(out["micro"]) == {"action", "observation", "message"}
    assert set(out["micro"]["action"]) == {"tp", "fp", "fn", "precision", "recall", "f1"}
    assert set(out["macro"]["message"]) == {"f1"}
    assert out["matched"] == 4 and out["unmatched"] == ["g4", "g5"]
    json.dumps(out)


def test_registry_universe_by_default(built):
    con, root, gold = built
    result = evaluate(con, gold, root=root)
    # PROC-KILL is a registered action classifier; PKG-INSTALL labels never count unless registered
    assert result.labels["PROC-KILL"].tp == 1
    from redline.classifiers.registry import active_rules

    registered = {r.id for r in active_rules()}
    assert set(result.labels) <= registered


@pytest.mark.parametrize("line, why", [
    ("{not json", "not valid JSON"),
    ('{"item_id": "x", "file": "f", "command": "c"}', "'ordinal'"),
    ('{"item_id": "x", "file": "f", "ordinal": 0, "command": "c"}', "'ordinal'"),
    ('{"item_id": "x", "file": "f", "ordinal": 1, "command": "c", "action": "PROC-KILL"}', "'action'"),
    ('{"item_id": "x", "file": "f", "ordinal": 1, "command": "c", "action": ["NOPE-X"]}', "unknown label"),
    ('{"item_id": "x", "file": "f", "ordinal": 1, "command": "c", "action": ["OBS-PORT"]}', "observation label"),
    ('["a list"]', "JSON object"),
    ('{"item_id": "g1", "file": "f", "ordinal": 1, "command": "c"}', "already used on line 1"),
])
def test_bad_gold_names_the_line(tmp_path, line, why):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOLD[0]) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_gold(path)
    assert f"{path}:3:" in str(err.value) and why in str(err.value)


def test_empty_gold_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no gold rows"):
        load_gold(path)


def test_cli_eval(tmp_path):
    db = tmp_path / "eval.duckdb"
    con = redline.connect(db)
    root = tmp_path / "corpus"
    _build(con, root)
    con.close()
    gold = _gold(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["eval", str(gold), "--root", str(tmp_path), "--db", str(db), "--json"])
    # the root is wrong (files are under corpus/), but the suffix still finds them
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["matched"] == 4 and out["unmatched"] == ["g4", "g5"]
    assert out["labels"]["PROC-KILL"]["tp"] == 1 and out["labels"]["PROC-KILL"]["fp"] == 1
    res = runner.invoke(main, ["eval", str(gold), "--root", str(root), "--db", str(db), "--worst", "2"])
    assert res.exit_code == 0, res.output
    assert "PROC-KILL" in res.output and "unmatched gold rows (2)" in res.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item_id": 1}\n', encoding="utf-8")
    res = runner.invoke(main, ["eval", str(bad), "--db", str(db)])
    assert res.exit_code == 2 and "bad.jsonl:1:" in res.output


def test_precision_recall_and_f1_agree_with_scikit_learn(built):
    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support

    con, root, gold = built
    result = evaluate(con, gold, root=root, universe=UNIVERSE)
    for unit in ("action", "observation", "message"):
        listed = [lid for lid, s in result.labels.items() if s.unit == unit]
        if not listed:
            continue
        truth = np.array([[lid in r.gold.labels[unit] for lid in listed] for r in result.rows], dtype=int)
        pred = np.array([[lid in r.predicted[unit] for lid in listed] for r in result.rows], dtype=int)
        for j, lid in enumerate(listed):
            p, r, f, _ = precision_recall_fscore_support(truth[:, j], pred[:, j], average="binary", zero_division=0)
            s = result.labels[lid]
            assert (s.precision, s.recall, s.f1, s.support) == pytest.approx((p, r, f, truth[:, j].sum()))
        # one column reads as a binary problem to scikit-learn, several as multi-label
        shape = {"average": "binary"} if len(listed) == 1 else {"average": "micro"}
        micro = precision_recall_fscore_support(truth.squeeze(1) if len(listed) == 1 else truth,
                                                pred.squeeze(1) if len(listed) == 1 else pred,
                                                zero_division=0, **shape)
        m = result.micro[unit]
        assert (m["precision"], m["recall"], m["f1"]) == pytest.approx(micro[:3])
        if len(listed) > 1:
            macro = precision_recall_fscore_support(truth, pred, average="macro", zero_division=0)
            assert result.macro[unit]["f1"] == pytest.approx(macro[2])


def test_a_figure_with_nothing_to_compute_it_from_reads_not_applicable(built):
    # FS-WRITE is predicted once and never in gold: precision and F1 are 0, recall is undefined
    # (no gold positive) and must not read as a classifier that missed everything
    con, root, gold = built
    result = evaluate(con, gold, root=root, universe=UNIVERSE)
    assert _counts(result)["FS-WRITE"] == (0, 0, 1, 0)
    row = next(line for line in render_text(result).splitlines() if line.strip().startswith("FS-WRITE"))
    assert row.split()[5:8] == ["0.000", "n/a", "0.000"]
    row = next(line for line in render_text(result).splitlines() if line.strip().startswith("PROC-KILL"))
    assert row.split()[5:8] == ["0.500", "1.000", "0.667"]
