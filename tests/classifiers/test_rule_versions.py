"""A rule's version follows its logic, and a bad regex fails when the rule is declared."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import redline
from redline import classify
from redline.classifiers import embedded, fingerprint, scripts, versions
from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames, empty_frames
from redline.convert import trials_to_arrow
from redline.classifiers.registry import all_rules, get_rule
from redline.classifiers.rule import Match, Rule, arg_re, deferred_checks, program, text_re
from redline.classifiers.rules import DECLARED, kill_history, kill_trace
from redline.classifiers.rules.obs import fallbacks, noise
from redline.cli import main
from redline.ingest import ingest

VERSIONS = "from redline.classifiers.registry import all_rules; print(sorted((r.id, r.classifier_version) for r in all_rules()))"


def test_versions_are_the_same_in_every_process(tmp_path):
    outputs = set()
    for seed in ("1", "2", "3"):  # each computes them: a cache of its own, empty
        env = dict(os.environ, PYTHONHASHSEED=seed, REDLINE_CACHE=str(tmp_path / seed))
        outputs.add(subprocess.run([sys.executable, "-c", VERSIONS], env=env, capture_output=True, text=True,
                                   check=True, timeout=120).stdout)
    assert len(outputs) == 1
    assert len({r.classifier_version for r in all_rules()}) == len(all_rules())


#: each rule's version computed afresh before and after a classify of the bundled sample, in one process
AFTER_A_CLASSIFY = """
import redline
from redline.classifiers.fingerprint import rule_fingerprint
from redline.classifiers.registry import all_rules
from redline.ingest import ingest
from redline.sample import sample_dir
before = {r.id: rule_fingerprint(r) for r in all_rules()}
con = redline.connect(":memory:")
ingest([sample_dir()], con)
redline.classify(con)
print(sorted((i, v, rule_fingerprint(r)) for r in all_rules() for i, v in [(r.id, before[r.id])]))
"""


def test_a_rules_version_does_not_change_with_what_the_process_ran(tmp_path):
    # (caches a rule's code reaches, filled as it runs, must be held where versions do not read)
    env = dict(os.environ, REDLINE_CACHE=str(tmp_path))
    # (the versions cached first, as a command does: a later process computes nothing on loading)
    subprocess.run([sys.executable, "-c", VERSIONS], env=env, capture_output=True, check=True, timeout=120)
    found = eval(subprocess.run([sys.executable, "-c", AFTER_A_CLASSIFY], env=env, capture_output=True, text=True,  # noqa: S307
                                check=True, timeout=300).stdout)
    assert len(found) == len(all_rules())
    assert [(i, before) for i, before, _ in found] == [(i, after) for i, _, after in found]


def test_versions_are_computed_once_per_source_and_read_back_after(tmp_path):
    env = dict(os.environ, REDLINE_CACHE=str(tmp_path))
    computed = subprocess.run([sys.executable, "-c", VERSIONS], env=env, capture_output=True, text=True,
                              check=True, timeout=120).stdout
    cached = list((tmp_path / "rule-versions").glob("*.json"))
    assert len(cached) == 1 and cached[0].stem == versions.source_digest()
    assert sorted(json.loads(cached[0].read_text()).items()) == eval(computed)  # noqa: S307 (our own output)
    # a later process reads them back: what the file says is what it reports
    cached[0].write_text(json.dumps({r.id: "from-the-cache" for r in all_rules()}))
    read = eval(subprocess.run([sys.executable, "-c", VERSIONS], env=env, capture_output=True, text=True,  # noqa: S307
                               check=True, timeout=120).stdout)
    assert {v for _, v in read} == {"from-the-cache"}
    # a cache written for other source is not this source's
    cached[0].rename(cached[0].with_name("0123456789abcdef.json"))
    again = subprocess.run([sys.executable, "-c", VERSIONS], env=env, capture_output=True, text=True,
                           check=True, timeout=120).stdout
    assert again == computed


def test_a_match_rules_version_follows_its_logic_not_its_documentation():
    rule = get_rule("SYS-REBOOT")
    assert rule.match is not None and rule.fallback
    same = [dataclasses.replace(rule, doc=rule.doc + " More words."), dataclasses.replace(rule, summary="x"),
            dataclasses.replace(rule, techniques=("T1057",))]
    assert {r.classifier_version for r in same} == {rule.classifier_version}
    changed = [dataclasses.replace(rule, match=rule.match | program("zap")),
               dataclasses.replace(rule, fallback=r"\bzap\b"),
               dataclasses.replace(rule, hits=rule.hits + ("zap --now",)),
               dataclasses.replace(rule, misses=rule.misses[:-1])]
    versions = {r.classifier_version for r in changed}
    assert rule.classifier_version not in versions and len(versions) == len(changed)


def _helper(frames):
    return frames.actions.filter(pl.col("text").str.contains("zap")).select("trial_id", "seq")


def _other_helper(frames):
    return frames.actions.filter(pl.col("text").str.contains("zip")).select("trial_id", "seq")


def _custom(frames):
    return _helper(frames)


def test_a_custom_rules_version_follows_the_helpers_it_calls(monkeypatch):
    rule = Rule(id="TEST-CUSTOM", name="test-custom", on="action", summary="s", custom=_custom)
    before = rule.classifier_version
    assert dataclasses.replace(rule).classifier_version == before
    monkeypatch.setattr(sys.modules[__name__], "_helper", _other_helper)
    assert dataclasses.replace(rule).classifier_version != before


def _documented():
    def _helper(frames):
        """What the helper finds, in words: the same code as the module's own ``_helper``."""
        # zap is the word looked for (a comment changes nothing)

        return frames.actions.filter(pl.col("text").str.contains("zap")).select("trial_id", "seq")  # the steps
    return _helper


def test_a_custom_rules_version_leaves_out_its_helpers_docstrings_and_comments(monkeypatch):
    rule = Rule(id="TEST-CUSTOM", name="test-custom", on="action", summary="s", custom=_custom)
    before = rule.classifier_version
    monkeypatch.setattr(sys.modules[__name__], "_helper", _documented())
    assert dataclasses.replace(rule).classifier_version == before


def test_logic_source_keeps_the_code_and_leaves_out_what_it_says_about_it():
    source = (
        "    @staticmethod\n"
        "    def f(x):  # a comment after code, é\n"
        "        \"\"\"A docstring\n        over two lines.\"\"\"\n"
        "        # a comment\n"
        "        y = '# not a comment'  # but this is\n"
        "\n"
        "        class K:\n"
        "            'its docstring'\n"
        "            z = 'é' + \"\"\"kept: not a docstring\"\"\"\n"
        "        return f'{x}#{y}'\n")
    assert fingerprint.logic_source(source) == (
        "@staticmethod\ndef f(x):\n    y = '# not a comment'\n    class K:\n"
        "        z = 'é' + \"\"\"kept: not a docstring\"\"\"\n    return f'{x}#{y}'")
    assert fingerprint.logic_source("def broken(:\n") == "def broken(:\n"  # not Python alone: kept


@pytest.mark.parametrize("make", [
    lambda: Match(pl.col("text").str.contains("(unclosed")),
    lambda: arg_re("(?<=look)behind"),  # inside list.eval: runs only where rows reach it
    lambda: text_re(r"\p{NoSuchClass}"),
    lambda: program("ls") & Match(pl.when(pl.col("argv").list.len() > 3)
                                  .then(pl.col("text").str.contains("[z-a]")).otherwise(False)),
])
def test_a_bad_regex_fails_at_declaration_naming_the_rule(make):
    with pytest.raises(ValueError, match="TEST-BAD: invalid regular expression"):
        Rule(id="TEST-BAD", name="bad", on="command", summary="s", match=make())


def test_a_bad_fallback_or_column_fails_at_declaration():
    with pytest.raises(ValueError, match="TEST-BAD: invalid regular expression"):
        Rule(id="TEST-BAD", name="bad", on="command", summary="s", match=program("ls"), fallback="a{2,1}")
    with pytest.raises(ValueError, match="TEST-BAD: no column progrm"):
        Rule(id="TEST-BAD", name="bad", on="command", summary="s", match=Match(pl.col("progrm") == "ls"))


def test_rules_declared_under_deferred_checks_are_checked_when_asked():
    with deferred_checks() as declared:
        bad = Rule(id="TEST-BAD", name="bad", on="command", summary="s", match=arg_re("(unclosed"))
        good = Rule(id="TEST-GOOD", name="good", on="command", summary="s", match=program("ls"))
    assert declared == [bad, good]
    good.check_declaration()
    with pytest.raises(ValueError, match="TEST-BAD: invalid regular expression"):
        bad.check_declaration()
    with pytest.raises(ValueError, match="TEST-BAD: invalid regular expression"):  # outside: at once
        Rule(id="TEST-BAD", name="bad", on="command", summary="s", match=arg_re("(unclosed"))


def test_every_built_in_rule_passes_the_checks_deferred_at_its_declaration():
    assert {r.id for r in all_rules()} <= {r.id for r in DECLARED}
    for rule in DECLARED:
        rule.check_declaration()


_BAD_EXPR = pl.col("text").str.contains("(oops")


def _bad_custom(frames):
    return frames.actions.filter(_BAD_EXPR).select("trial_id", "seq")


def test_a_custom_rule_is_checked_when_the_registry_loads_it():
    rule = Rule(id="TEST-CUSTOM", name="c", on="action", summary="s", custom=_bad_custom)
    with pytest.raises(ValueError, match="TEST-CUSTOM: invalid regular expression"):
        rule.check_custom(empty_frames())


def test_classify_names_the_rules_that_changed_since_the_last_labelling(tmp_path, write_traj):
    db = tmp_path / "v.duckdb"
    con = redline.connect(db)
    ingest([write_traj("r__v-1", [("kill 1", "", 0)])], con)
    old = dataclasses.replace(get_rule("PROC-KILL"), misses=())
    classify(con, [old])
    con.close()
    result = CliRunner().invoke(main, ["classify", "--db", str(db), "--rule", "PROC-KILL"])
    assert result.exit_code == 0, result.output
    now = get_rule("PROC-KILL").classifier_version
    assert f"changed since the database was last labelled: PROC-KILL ({old.classifier_version} -> {now})" in result.output
    again = CliRunner().invoke(main, ["classify", "--db", str(db), "--rule", "PROC-KILL"])
    assert "changed since" not in again.output


@pytest.fixture
def fresh_frames_fingerprint():
    fingerprint.frames_fingerprint.cache_clear()
    yield
    fingerprint.frames_fingerprint.cache_clear()


def _versions() -> dict[str, str]:
    """Every rule's version, computed afresh (a rule caches its own)."""
    return {r.id: dataclasses.replace(r).classifier_version for r in all_rules()}


@pytest.fixture(scope="module")
def versions_now() -> dict[str, str]:
    return _versions()


def test_versions_do_not_depend_on_what_ran_before(fresh_frames_fingerprint, versions_now):
    # labelling fills lazy caches (the shell parser is built on first use)
    trial = steps_trial([{"kind": "action", "text": "python3 -c \"import os; os.system('pkill -f serve')\""}])
    label_frames(Frames.from_arrow(*trials_to_arrow([trial])), all_rules())
    fingerprint.frames_fingerprint.cache_clear()
    assert _versions() == versions_now


OBS_ALL = {r.id for r in all_rules() if r.on == "observation"}
#: the observation rules that read fallback-masked results (``cmd || echo 'not found'``)
OBS_FALLBACK = {"OBS-CMD-MISSING", "OBS-FILE-MISSING", "OBS-MODULE-MISSING", "OBS-PERM", "OBS-NETWORK",
                "OBS-TIMEOUT", "OBS-OTHER-ERROR"}


@pytest.mark.parametrize(("module", "name", "value", "changed"), [
    # harness-noise masking: a constant regex read by the function every observation rule calls
    (noise, "_START", re.compile(r"^Traceback:$"), OBS_ALL),
    (noise, "PYTHON_FREE", noise.PYTHON_FREE - {"ls"}, OBS_ALL),
    # fallback-masked results: only the rules that read them
    (fallbacks, "FAILURE_MESSAGE", r"(?i)\bmissing\b", OBS_FALLBACK),
    # kill targets: a constant read only inside a method of the trial-history class, and a
    # compiled regex
    (kill_history, "QUERY_ARGS", kill_history.QUERY_ARGS | {"--dry-run"}, {"PROC-KILL"}),
    (kill_trace, "SIGNAL", re.compile(r"^-(\d+)$"), {"PROC-KILL"}),
])
def test_a_change_in_a_rule_helper_module_changes_the_versions_of_the_rules_using_it(
        monkeypatch, fresh_frames_fingerprint, versions_now, module, name, value, changed):
    before = versions_now
    monkeypatch.setattr(module, name, value)
    after = _versions()
    assert {rule_id for rule_id in before if before[rule_id] != after[rule_id]} == changed


@pytest.mark.parametrize(("module", "name", "value"), [
    # commands run by code or a session manager: a frames stage every rule reads
    (embedded, "CALL_HINT", embedded.CALL_HINT + r"|\bsh\.run\("),
    (embedded, "MAX_ROUNDS", embedded.MAX_ROUNDS + 1),
    # scripts written earlier and run at a step
    (scripts, "SCRIPT_IDX_BASE", scripts.SCRIPT_IDX_BASE + 1),
])
def test_a_change_in_how_frames_are_built_changes_every_rules_version(
        monkeypatch, fresh_frames_fingerprint, versions_now, module, name, value):
    before = versions_now
    monkeypatch.setattr(module, name, value)
    fingerprint.frames_fingerprint.cache_clear()
    after = _versions()
    assert all(before[rule_id] != after[rule_id] for rule_id in before)


def test_the_source_digest_is_read_back_while_the_files_are_unchanged(tmp_path, monkeypatch):
    import shutil

    source = Path(versions.__file__).resolve().parent.parent
    copy = tmp_path / "redline"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("REDLINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(versions, "_PACKAGE", copy)
    versions.source_digest.cache_clear()
    try:
        digest = versions.source_digest()
        cached = tmp_path / "cache" / "source-digest.json"
        assert json.loads(cached.read_text())["digest"] == digest
        # the same files in another place: the digest is of their names and contents
        monkeypatch.setattr(versions, "_PACKAGE", source)
        assert versions._digest(versions._source_files()) == digest
        monkeypatch.setattr(versions, "_PACKAGE", copy)
        # while no file changed, the digest is read back, not computed
        cached.write_text(json.dumps({**json.loads(cached.read_text()), "digest": "from-the-cache"}))
        versions.source_digest.cache_clear()
        assert versions.source_digest() == "from-the-cache"
        # a file written since: hashed again
        rule = copy / "classifiers" / "rules" / "__init__.py"
        rule.write_text(rule.read_text() + "\n# changed\n")
        versions.source_digest.cache_clear()
        changed = versions.source_digest()
        assert changed not in (digest, "from-the-cache")
        assert json.loads(cached.read_text())["digest"] == changed
    finally:
        versions.source_digest.cache_clear()
