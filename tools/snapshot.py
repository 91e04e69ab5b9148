"""Snapshot what redline stores for a folder of transcripts, to compare two versions of redline.

    python tools/snapshot.py FOLDER -o before.jsonl          # on the old code
    python tools/snapshot.py FOLDER --compare before.jsonl   # on the new code: exit 1 on a difference

Ingests FOLDER and classifies it into a throw-away database, then writes the ``trials``,
``events``, ``commands`` and ``labels`` rows as sorted JSON lines (one ``[table, row]`` per
line). Columns that say *when* or *by which run* something was written (``created_at``,
``run_id``) are left out, and so is any column that is NULL in every row, so a new column that
nothing fills yet does not count as a change. A refactoring that claims "behaviour unchanged"
must leave the snapshot identical.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from pathlib import Path

import redline

TABLES = ("trials", "events", "commands", "labels")
#: bookkeeping columns: when or by which run a row was written
VOLATILE = {"created_at", "run_id"}


def snapshot_lines(folder: str, ignore: set[str] = frozenset()) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        con = redline.connect(Path(tmp) / "snapshot.duckdb")
        try:
            t0 = time.perf_counter()
            report = redline.ingest.ingest([folder], con, workers=1)
            t1 = time.perf_counter()
            redline.classify(con)
            t2 = time.perf_counter()
            print(f"{report.summary()}; ingest {t1 - t0:.1f} s, classify {t2 - t1:.1f} s", file=sys.stderr)
            lines: list[str] = []
            for table in TABLES:
                columns = [name for (name,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position", [table]).fetchall() if name not in VOLATILE | ignore]
                kept = [c for c in columns
                        if con.execute(f'SELECT count("{c}") FROM {table}').fetchall()[0][0] > 0]
                select = ", ".join(f'"{c}"' for c in kept)
                rows = con.execute(f"SELECT {select} FROM {table}").fetchall()
                encoded = [json.dumps([table, dict(zip(kept, row))], default=str, ensure_ascii=False,
                                      sort_keys=True) for row in rows]
                lines.extend(sorted(encoded))
            return lines
        finally:
            con.close()


def _without(line: str, ignore: set[str]) -> str:
    """A snapshot line written earlier, without the ignored columns."""
    if not ignore:
        return line
    table, row = json.loads(line)
    return json.dumps([table, {k: v for k, v in row.items() if k not in ignore}], ensure_ascii=False, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder of transcripts to ingest and classify")
    parser.add_argument("-o", "--out", help="write the snapshot to this file")
    parser.add_argument("--compare", metavar="FILE", help="compare with a snapshot written earlier")
    parser.add_argument("--ignore", metavar="COLUMN", action="append", default=[],
                        help="leave this column out of the comparison too (repeatable), e.g. "
                             "classifier_version when the rules' versions are expected to change")
    args = parser.parse_args(argv)
    if not Path(args.folder).is_dir():
        print(f"{args.folder}: no such folder", file=sys.stderr)
        return 2
    lines = snapshot_lines(args.folder, set(args.ignore))
    if args.out:
        Path(args.out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        print(f"wrote {len(lines)} rows to {args.out}", file=sys.stderr)
    if args.compare:
        old = sorted(_without(line, set(args.ignore)) for line in Path(args.compare).read_text(encoding="utf-8").splitlines())
        lines = sorted(lines)
        if old == lines:
            print(f"identical: {len(lines)} rows", file=sys.stderr)
            return 0
        diff = list(difflib.unified_diff(old, lines, args.compare, "now", n=0, lineterm=""))
        for line in diff[:200]:
            print(line[:400])
        print(f"DIFFERENT: {sum(1 for d in diff if d[:1] in '+-') - 2} changed lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
