"""Fixtures of the classifier tests: many small trials labelled in one pass, and probe tables.

A probe table is a module's ``CASES``, rows of (the labels expected, then the case): a test
that takes ``probe`` runs once per row, and ``observation_probes`` / ``message_probes`` give
the labels of every row of the module, found in one pass."""

from __future__ import annotations

import pytest

from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.registry import active_rules
from redline.convert import trials_to_arrow


def _label_last_steps(cases: list[list[dict]], unit: str) -> list[set[str]]:
    """The labels of each case's last step of ``unit`` (a case is a list of steps, as rule
    examples give them), every case a trial of its own, all labelled by the rules of ``unit``
    in one pass."""
    trials = [steps_trial(steps, format="test", source_path=f"<case {i}>") for i, steps in enumerate(cases)]
    labels = label_frames(Frames.from_arrow(*trials_to_arrow(trials)), [r for r in active_rules() if r.unit == unit])
    found: dict[tuple[str, int], set[str]] = {}
    for trial_id, seq, label_id in labels.select("trial_id", "seq", "label_id").iter_rows():
        found.setdefault((trial_id, seq), set()).add(label_id)
    return [found.get((t.trial_id, [e.seq for e in t.events if e.kind == unit][-1]), set()) for t in trials]


@pytest.fixture(scope="module")
def observation_labels():
    """A function: (command, output, exit status) cases -> {case: the observation labels its
    output gets}."""
    def label(cases):
        steps = [[{"kind": "action", "text": command},
                  {"kind": "observation", "text": output, "exit_code": exit_code}] for command, output, exit_code in cases]
        return dict(zip(map(tuple, cases), _label_last_steps(steps, "observation")))
    return label


@pytest.fixture(scope="module")
def message_labels():
    """A function: the agent's texts -> {text: the message labels the rules give it}."""
    def label(texts):
        return dict(zip(texts, _label_last_steps([[{"kind": "message", "text": t}] for t in texts], "message")))
    return label


def pytest_generate_tests(metafunc):
    """A test that takes ``probe`` runs once per row of its module's ``CASES``."""
    if "probe" in metafunc.fixturenames:
        cases = metafunc.module.CASES
        metafunc.parametrize("probe", cases, ids=[f"{'+'.join(sorted(c[0])) or 'none'}:{c[1][:40]}" for c in cases])


@pytest.fixture(scope="module")
def observation_probes(request, observation_labels):
    """{(command, output, exit status): its observation labels} for every row of the module's CASES."""
    return observation_labels([case[1:] for case in request.module.CASES])


@pytest.fixture(scope="module")
def message_probes(request, message_labels):
    """{text: its message labels} for every row of the module's CASES."""
    return message_labels([text for _, text in request.module.CASES])
