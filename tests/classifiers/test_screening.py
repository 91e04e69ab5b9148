"""Screening and distinct-row evaluation never change a label.

The engine evaluates a command match branch by branch, over the distinct commands that run the
programs each branch names (:func:`redline.classifiers.matching.command_rows`), a conjunct that
looks within a step over the candidates' steps only (:func:`~redline.classifiers.rowwise.within_step`),
and a row-wise match over outputs or messages once per distinct value
(:func:`~redline.classifiers.distinct.filter_rows`), each branch's conjuncts over one unit's
``text`` once per distinct text and its other conjuncts on the rows that pass them
(:func:`~redline.classifiers.matching.match_rows`). These tests
evaluate every command match of the registry, and every match a rule module keeps for its own
use, both ways, over every rule's examples and over a generated corpus of trials that mix the
examples' command lines with each other in many contexts (scripts, backgrounding, sudo, pipes,
edit sessions), and require the same rows and the same labels.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.classifiers import engine, matching, rules as rule_modules
from redline.classifiers.distinct import filter_rows
from redline.classifiers.engine import label_frames
from redline.classifiers.rowwise import SCREEN_COLUMNS, implied_test, row_wise, within_step
from redline.classifiers.examples import example_trial, steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.matching import command_rows, match_rows
from redline.classifiers.registry import active_rules
from redline.classifiers.rule import Match, arg, exit_code, failed, output, program
from redline.convert import trials_to_arrow

RULES = active_rules()


def _command_lines() -> list[str]:
    lines: list[str] = []
    for rule in RULES:
        for example in (*rule.hits, *rule.misses):
            if isinstance(example, str) and rule.on in ("command", "action"):
                lines.append(example)
            elif isinstance(example, dict) and "command" in example:
                lines.append(example["command"])
            elif isinstance(example, dict) and "steps" in example:
                lines += [s["text"] for s in example["steps"] if s.get("kind") == "action" and s.get("text")]
    return sorted(set(lines))


def _example_tables():
    trials = []
    for rule in RULES:
        for n, example in enumerate((*rule.hits, *rule.misses)):
            trial, _ = example_trial(rule, example)
            trial.source_path = f"<example {rule.id} {n}>"
            trials.append(trial)
    return trials_to_arrow(trials)


def _generated_tables(n_trials: int = 60, seed: int = 3) -> Frames:
    """Trials mixing every example command line with the others and with contexts that change
    how a command reads: a script written then run, a trailing ``&``, ``sudo``, a pipe, a
    ``cd &&`` prefix, an edit session, repeats of the same line."""
    rng = random.Random(seed)
    lines = _command_lines()
    trials = []
    for t in range(n_trials):
        steps = []
        for _ in range(rng.randrange(5, 25)):
            line = rng.choice(lines)
            shape = rng.randrange(8)
            if shape == 0:
                name = f"s{rng.randrange(3)}.sh"
                steps.append({"kind": "action", "text": f"cat > {name} <<'EOF'\n{line}\nEOF"})
                steps.append({"kind": "observation", "text": "", "exit_code": 0})
                line = f"bash {name}"
            elif shape == 1 and "\n" not in line:
                line = f"{line} &"
            elif shape == 2 and "\n" not in line:
                line = f"sudo {line}"
            elif shape == 3 and "\n" not in line:
                line = f"{line} | head -5"
            elif shape == 4 and "\n" not in line:
                line = f"cd /app && {line}"
            elif shape == 5:
                steps.append({"kind": "action", "text": "edit 3:4\nx = 1\nend_of_edit", "tool": "edit"})
            steps.append({"kind": "action", "text": line, "tool": rng.choice(["bash", "bash", "execute_bash"])})
            steps.append({"kind": "observation", "text": rng.choice(["", "ok", "Traceback (most recent call last):"]),
                          "exit_code": rng.choice([0, 1])})
        trials.append(steps_trial(steps, source_path=f"<generated {t}>"))
    return trials_to_arrow(trials)


def _command_matches() -> list[tuple[str, Match]]:
    """Every command rule's match, and every Match a rule module defines at its top level."""
    found = {id(r.match): (r.id, r.match) for r in RULES if r.on == "command" and r.match is not None}
    for info in pkgutil.walk_packages(rule_modules.__path__, rule_modules.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Match) and id(value) not in found:
                found[id(value)] = (f"{info.name}.{name}", value)
    return list(found.values())


@pytest.fixture(scope="module")
def tables() -> list:
    """The Arrow tables of the two corpora (each test builds its own frames: they memoise)."""
    return [_example_tables(), _generated_tables()]


@pytest.fixture()
def corpora(tables) -> list[Frames]:
    return [Frames.from_arrow(*t) for t in tables]


def test_the_corpora_exercise_the_rules(corpora):
    examples, generated = corpora
    assert generated.commands.height > 1000
    # most rules fire somewhere, so the comparison below is not between empty frames
    fired = set(label_frames(generated, RULES)["label_id"]) | set(label_frames(examples, RULES)["label_id"])
    command_rules = {r.id for r in RULES if r.on == "command"}
    assert len(fired & command_rules) >= len(command_rules) - 2


@pytest.mark.parametrize("name, match", _command_matches(), ids=lambda v: v if isinstance(v, str) else "")
def test_screened_rows_are_the_filtered_rows(corpora, name, match):
    for frames in corpora:
        columns = set(frames.commands.columns)
        if not set(match.expr.meta.root_names()) <= columns:
            continue  # a match over another unit's rows
        expected = frames.commands.filter(match.expr)
        assert command_rows(frames, match).equals(expected), name


def test_labels_are_the_same_without_screening(tables, monkeypatch):
    key = ["trial_id", "seq", "label_id"]
    for table in tables:
        screened = label_frames(Frames.from_arrow(*table), RULES)
        with monkeypatch.context() as patch:
            patch.setattr(matching, "command_rows", lambda f, m, columns=None: (
                f.commands.filter(m.expr) if columns is None else f.commands.filter(m.expr).select(columns)))
            patch.setattr(matching, "within_step", lambda expr: False)
            for module in [engine, matching, *(importlib.import_module(i.name) for i in
                                     pkgutil.walk_packages(rule_modules.__path__, rule_modules.__name__ + "."))]:
                if hasattr(module, "filter_rows"):
                    patch.setattr(module, "filter_rows", lambda frames, df, expr: df.filter(expr))
                if hasattr(module, "match_rows"):
                    patch.setattr(module, "match_rows", lambda frames, df, match: df.filter(match.expr))
            plain = label_frames(Frames.from_arrow(*table), RULES)
        assert not screened.is_empty()
        assert screened.sort(key).equals(plain.sort(key))


def test_screens_follow_the_expression():
    both = program("curl", "wget") & arg("-O")
    assert [screen for screen, _ in both.or_branches()] == [frozenset({"curl", "wget"})]
    either = program("curl") & arg("-O") | program("scp") | arg("x")
    assert [screen for screen, _ in either.or_branches()] == [frozenset({"curl"}), frozenset({"scp"}), None]
    distributed = (program("a", "b") | program("c")) & program("b", "c")
    assert [screen for screen, _ in distributed.or_branches()] == [frozenset({"b"}), frozenset({"c"})]
    assert [screen for screen, _ in (~program("a")).or_branches()] == [None]
    assert [screen for screen, _ in (program("a") & program("b")).or_branches()] == [None]


def test_screens_hold_wherever_their_expression_does(corpora):
    """The engine reads a part of a branch group that names no programs only over the commands
    that pass the tests it implies of single columns: every row where the part holds must pass
    each of them."""
    screened: set[str] = set()
    for name, match in _command_matches():
        for _, _, parts in matching._plan(match).groups:
            for part in (p for p in parts if p is not None):
                for column in SCREEN_COLUMNS:
                    test = implied_test(part, column)
                    if test is None:
                        continue
                    assert set(test.meta.root_names()) == {column}, name
                    screened.add(column)
                    for frames in corpora:
                        if not set(part.meta.root_names()) <= set(frames.commands.columns):
                            continue
                        held = frames.commands.select(part.fill_null(False).alias("part"),
                                                      test.fill_null(False).alias("test"))
                        assert held.filter(pl.col("part") & ~pl.col("test")).is_empty(), (name, column)
    assert {"program", "tool", "code"} <= screened


def test_a_screen_is_read_through_ands_ors_and_fill_null():
    prog, argv = pl.col("program"), pl.col("argv")
    pip = prog.str.contains("^pip").fill_null(False)
    one = argv.list.len() == 1
    assert str(implied_test(pip & one, "program")) == str(pip)
    assert str(implied_test((pip & one) | (prog.is_in(["npx"]) & one), "program")) == str(pip | prog.is_in(["npx"]))
    assert str(implied_test((pip & one).fill_null(False), "program")) == str(pip.fill_null(False))
    assert implied_test(pip & one, "tool") is None  # no test of that column
    assert implied_test((pip & one) | one, "program") is None  # a branch with no test of the program
    assert implied_test(~(pip & one), "program") is None
    assert implied_test((pip & one).fill_null(True), "program") is None  # true where the program is unknown
    assert implied_test(argv.list.eval(pl.element() == "x").list.any() & one, "argv") is None  # argv alone
    assert implied_test(pl.col("program").shift(1).is_in(["x"]) & one, "program") is None  # not row-wise
    edit = pl.col("tool").is_in(["Edit"]).fill_null(False)
    assert str(implied_test(pip & edit & one, "tool")) == str(edit)


def test_cross_row_expressions_are_not_row_wise():
    assert row_wise(pl.col("argv").list.eval(pl.element().shift(1).is_in(["-o"])).list.any())
    assert not row_wise(pl.col("program").shift(1).over("trial_id", "seq"))
    assert not row_wise(pl.col("program").is_in(["edit"]).any().over("program"))
    assert not row_wise(pl.col("evidence_seq").is_null())
    assert not row_wise(pl.col("text").str.contains("x").any())
    # a slice of each row's list or text is the row's own; a slice of the column is not
    argv = pl.col("argv")
    assert row_wise(argv.list.slice(0, argv.list.len() - 1).list.eval(pl.element().str.contains("^-")).list.any())
    assert row_wise(pl.col("text").str.slice(0, 3) == "abc")
    assert not row_wise(pl.col("text").slice(0, 3) == "abc")
    assert not row_wise(pl.col("text").str.join(" ").str.contains("x"))


def test_first_match_gives_what_coalescing_every_patterns_match_gives():
    from redline.classifiers.evidence import first_match
    texts = ["", None, "no match here", "héllo Errno 98 wörld", "x: Address already in use\nErrno 98",
             "ünïcode ok then FAILED tests/a.py::b", "Errno 9", "ok ok"]
    patterns = [r"Address already in use", r"Errno \d+", r"(?m)^FAILED \S+", r"ok|then", r"(?i)ÜNÏ\w+"]
    df = pl.DataFrame({"text": texts})

    def located(text: str | None) -> tuple:  # character offsets, by Python's own regex engine
        if text is None:
            return None, None, None
        for pattern in patterns:
            if m := re.search(pattern, text):
                return m.group(0), m.start(), m.end()
        return None, len(text), None  # no match: the span starts at the text's end, with no end

    expected = pl.DataFrame([located(t) for t in texts], orient="row",
                            schema={"evidence": pl.Utf8, "span_start": pl.Int32, "span_end": pl.Int32})
    assert first_match(df, patterns).equals(expected)
    assert expected.row(3) == ("Errno 98", 6, 14)  # after a two-byte letter: characters, not bytes


def test_within_step_is_told_from_the_expression():
    assert within_step(pl.col("program").is_in(["edit"]).any().over(["trial_id", "seq"]))
    assert within_step(pl.col("program").shift(-1).over(["trial_id", "seq"], order_by="idx").str.contains("^x"))
    assert within_step(pl.col("argv").list.len() > 2)
    assert not within_step(pl.col("program").shift(-1).over("trial_id"))  # the next step's rows too
    assert not within_step(pl.col("program").shift(1))
    assert not within_step(pl.col("x").sum().over(["trial_id", "seq"]) > pl.col("x").mean())
    assert not within_step(pl.col("program").shift(1).over(["trial_id", "seq"], order_by=pl.col("idx").rank()))


def test_place_conjuncts_over_the_candidates_steps_give_the_rows_of_the_whole_frame(corpora):
    scaffold = pl.col("program").is_in(["edit"]).fill_null(False).any().over(["trial_id", "seq"])
    following = pl.col("program").shift(-1).over(["trial_id", "seq"], order_by="idx")
    for match in [program("cat", "echo") & Match(~scaffold), program("python", "python3") & Match(following.is_null()),
                  program("sleep") & Match(following.str.contains("^(kill|pkill)$").fill_null(False))]:
        for frames in corpora:
            assert command_rows(frames, match).equals(frames.commands.filter(match.expr))


def test_filter_rows_gives_the_filtered_rows(corpora):
    frames = corpora[1]
    obs = frames.observations
    assert obs["text"].n_unique() < obs.height / 10  # repeats: the distinct path is taken
    for expr in [pl.col("text").str.contains("Traceback"), pl.col("text").str.contains("^$") & (pl.col("exit_code") == 1),
                 pl.col("exit_code").is_null() | pl.col("text").is_null(), pl.col("text").str.len_chars() > 1,
                 pl.col("exit_code").cum_sum() > 3, pl.col("seq") > 20, pl.lit(False)]:
        assert filter_rows(frames, obs, expr).equals(obs.filter(expr)), expr
        assert filter_rows(frames, obs.clear(), expr).equals(obs.clear().filter(expr))


def _output_matches() -> list[Match]:
    """Matches over outputs as observation rules write them: ORs of ANDs mixing the text with
    the exit status and the command, negations, a branch with no text conjunct, a literal, a
    cross-row conjunct."""
    help_asked = Match(pl.col("command").str.contains(r"--help").fill_null(False))
    return [
        output("Traceback") | output("^$") & failed() & ~help_asked,
        output(r"(?m)^ok$") & exit_code(0) | exit_code(1) & Match(pl.col("text").fill_null("").str.strip_chars() == ""),
        output("Traceback") & output("most recent") | output("ok") & output("k$"),
        failed() | output("x") & ~output("y"),
        Match(pl.col("text").is_null()) | output("ok") & Match(pl.col("exit_code").is_null()),
        output("ok") & Match(pl.lit(False)) | Match(pl.lit(True)) & failed(),
        output("ok") & Match(pl.col("exit_code").cum_sum() > 3),  # reads other rows: the plain filter
        output("ok"), ~output("ok") & failed(),
    ]


def test_match_rows_gives_the_filtered_rows(corpora):
    frames = corpora[1]
    obs = frames.observations
    assert obs["text"].n_unique() < obs.height / 10  # repeats: the distinct path is taken
    for n, match in enumerate(_output_matches()):
        expected = obs.filter(match.expr)
        assert match_rows(frames, obs, match).equals(expected), n
        assert match_rows(frames, obs.clear(), match).equals(obs.clear().filter(match.expr)), n
    assert not obs.filter(_output_matches()[0].expr).is_empty()


_TEXTS = st.one_of(st.none(), st.sampled_from(["", " ", "ok", "ok\n", "k", "x y", "Traceback", "most recent ok",
                                                "Ok", "ÖK", "y"]))
_CODES = st.one_of(st.none(), st.sampled_from([0, 1, 2, 137]))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(_TEXTS, _CODES, st.sampled_from(["run", "run --help", None])), max_size=40),
       picks=st.lists(st.integers(0, 8), min_size=1, max_size=3))
def test_match_rows_gives_the_filtered_rows_on_any_outputs(rows, picks):
    """Any rows (nulls, repeats, near-misses) and any OR of the matches above."""
    obs = pl.DataFrame(rows, schema={"text": pl.Utf8, "exit_code": pl.Int64, "command": pl.Utf8}, orient="row")
    frames = Frames.from_arrow(*trials_to_arrow([]))
    matches = _output_matches()
    match = matches[picks[0]]
    for i in picks[1:]:
        match = match | matches[i]
    assert match_rows(frames, obs, match).equals(obs.filter(match.expr))
