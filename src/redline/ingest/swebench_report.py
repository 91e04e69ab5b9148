"""The SWE-bench evaluation verdict of a trajectory (:func:`find_report`), for the scaffolds
that run on SWE-bench (mini-swe-agent, SWE-agent).

The outcome comes from the SWE-bench evaluation's ``report.json``
(``{instance_id: {"resolved": bool, ...}}``) of this trajectory's run: one beside the
trajectory, else the nearest ``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json``
in the folders up to :data:`REPORT_SEARCH_LEVELS` levels above it whose run ID names the
trajectory's run folder (``demo_run`` is evaluated as ``demo_run`` or ``demo_run_eval``). A
report of another run for the same instance is not this trial's verdict.
"""

from __future__ import annotations

import glob
from pathlib import Path

from .base import FormatError, load_json

#: how many folders above the trajectory's own folder are searched for an evaluation report
REPORT_SEARCH_LEVELS = 4


def _report_entry(report_path: Path, instance_id: str) -> dict | None:
    try:
        data = load_json(report_path, "report JSON")
    except (FormatError, OSError):
        return None
    if isinstance(data, dict) and isinstance(data.get(instance_id), dict):
        return data[instance_id]
    return None


def _run_score(run_id: str, run_names: list[str]) -> int:
    """How surely an evaluation run belongs to the trajectory's run: 2 when its ID is the name of
    a folder the trajectory is in, 1 when it is that name plus a suffix (``demo_run_eval``)."""
    score = 0
    for name in run_names:
        if run_id == name:
            score = max(score, 2)
        elif run_id.startswith((name + "_", name + "-", name + ".")):
            score = max(score, 1)
    return score


def _evaluation_reports(root: Path, instance_id: str, run_names: list[str], model_dir: str | None):
    """``(score, path, entry)`` of each report under ``root`` for the instance in the trajectory's
    run; reports of other runs (the instance evaluated elsewhere) are not this trial's."""
    pattern = str(root / "*" / "*" / glob.escape(instance_id) / "report.json")
    for hit in sorted(glob.glob(pattern)):
        rp = Path(hit)
        run_score = _run_score(rp.parent.parent.parent.name, run_names)
        entry = _report_entry(rp, instance_id) if run_score else None
        if entry is not None:
            yield run_score * 2 + (model_dir is not None and rp.parent.parent.name == model_dir), rp, entry


def find_report(traj_path: Path, instance_id: str | None, model: str | None = None) -> tuple[Path, dict] | None:
    """The SWE-bench evaluation report entry for ``instance_id`` of this trajectory's run:
    ``(path, entry)`` or None.

    A ``report.json`` beside the trajectory is its own. Otherwise the nearest
    ``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json`` counts only when its run ID
    names the trajectory's run (a folder the trajectory is in, alone or with a suffix such as
    ``_eval``): a run that was never evaluated does not borrow another run's verdict for the
    same instance. Reports of the same run that disagree give no verdict.
    """
    if not instance_id:
        return None
    traj_path = Path(traj_path)
    beside = traj_path.parent / "report.json"
    if beside.is_file():
        entry = _report_entry(beside, instance_id)
        if entry is not None:
            return beside, entry
    folders = [traj_path.parent, *traj_path.parent.parents][: REPORT_SEARCH_LEVELS + 1]
    model_dir = model.replace("/", "__") if model else None
    for level, base in enumerate(folders):
        root = base / "logs" / "run_evaluation"
        if not root.is_dir():
            continue
        # the folders between the search base and the trajectory name its run
        found = list(_evaluation_reports(root, instance_id, [p.name for p in folders[:level]], model_dir))
        if not found:
            continue
        best = max(s for s, _, _ in found)
        top = [(rp, e) for s, rp, e in found if s == best]
        if len(top) == 1 or len({bool(e.get("resolved")) for _, e in top}) == 1:
            return top[0]
        return None  # several evaluations of this run disagree: no verdict
    return None
