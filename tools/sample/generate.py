"""Write the sample corpus from its specs.

    python -m tools.sample.generate [OUT_DIR]        (from the repository's root)

writes every trial of :data:`tools.sample.trials.TRIALS` with the writers of
:mod:`tools.sample.writers` into ``OUT_DIR`` (default: the package's ``sample/data`` folder,
which ``redline audit --sample`` reads). The generator is a development tool, not part of the
installed package; only the data it writes is shipped. The layout is::

    fudan/<model>/<trial>.log
    mini-swe-agent/<scenario>-<model>/<instance>/<instance>.traj.json
    mini-swe-agent/<scenario>-<model>/<instance>/report.json      (the harness's verdict)

The output is deterministic: the same specs always give the same bytes (the tests check that
the committed files equal a fresh generation). Files under ``fudan/`` and ``mini-swe-agent/``
that no spec produces any more are removed, so renaming a trial leaves nothing stale behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

from redline.sample import sample_dir

from .trials import FUDAN, MINI, TRIALS, SampleTrial
from .writers import write_fudan_log, write_mini_swe_agent

__all__ = ["generate", "write_trial"]

#: the folders of ``OUT_DIR`` that the generator owns
OWNED = ("fudan", "mini-swe-agent")


def write_trial(out_dir: Path, trial: SampleTrial) -> list[Path]:
    """Write one trial under ``out_dir``; return the files written (with any ``report.json``)."""
    path = Path(out_dir, *trial.path.parts)
    if trial.format == FUDAN:
        return [write_fudan_log(path, trial.spec)]
    if trial.format == MINI:
        written = [write_mini_swe_agent(path, trial.spec)]
        if trial.spec.get("resolved") is not None:
            written.append(path.parent / "report.json")
        return written
    raise ValueError(f"{trial.name}: unknown format {trial.format!r}")


def generate(out_dir: str | Path | None = None) -> list[Path]:
    """Write every sample trial into ``out_dir`` (default: the bundled sample folder).

    Returns the files written, sorted.
    """
    out = Path(out_dir) if out_dir is not None else sample_dir()
    names = [t.name for t in TRIALS]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"sample trial names must be unique: {', '.join(duplicates)}")
    written: list[Path] = []
    for trial in TRIALS:
        written.extend(write_trial(out, trial))
    keep = {p.resolve() for p in written}
    for folder in OWNED:
        root = out / folder
        if not root.is_dir():
            continue
        for stale in sorted(root.rglob("*"), reverse=True):
            if stale.is_file() and stale.resolve() not in keep:
                stale.unlink()
            elif stale.is_dir() and not any(stale.iterdir()):
                stale.rmdir()
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(args) > 1:
        print("usage: python -m tools.sample.generate [OUT_DIR]", file=sys.stderr)
        return 2
    files = generate(args[0] if args else None)
    print(f"wrote {len(files)} files for {len(TRIALS)} trials")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
