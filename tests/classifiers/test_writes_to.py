"""``writes_to`` reads the argument lists of the programs that name the files they write, and
the redirections of every other command, and finds exactly what reading every command's whole
list of written paths finds (null lists and programs included)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.classifiers.matching import command_rows
from redline.classifiers.frames import Frames
from redline.classifiers.rules.fs import redirect_targets
from redline.classifiers.rules.persist import writes_to

PATTERN = r"(^|/)(etc/cron[\w./-]*|\.bashrc)$|\.service$"


def _every_written_path() -> pl.Expr:
    """The files a command writes, read the long way: the destinations its arguments name (tee:
    every operand; cp, mv, ln, install, rsync: the last; sed -i, perl -i: all but the script)
    and its redirections' targets, for every command."""
    ops = pl.col("argv").list.eval(pl.element().filter(~pl.element().str.starts_with("-")))
    dest = (pl.when(pl.col("program") == "tee").then(ops)
            .when(pl.col("program").is_in(["cp", "mv", "ln", "install", "rsync"])).then(ops.list.slice(-1, 1))
            .when(pl.col("program").is_in(["sed", "perl"]) & pl.col("argv").list.eval(
                pl.element().str.contains(r"^-[a-zA-Z]*i")).list.any()).then(ops.list.slice(1))
            .otherwise(pl.lit([], pl.List(pl.Utf8))))
    none = pl.lit([], pl.List(pl.Utf8))  # a null list (no redirections) writes nothing
    paths = pl.concat_list([dest.fill_null(none), redirect_targets().fill_null(none)])
    return paths.list.eval(pl.element().str.contains(PATTERN)).list.any().fill_null(False)


_WORDS = st.sampled_from(["-i", "-a", "-f", "s/a/b/", "/etc/cron.d/job", "~/.bashrc", "a.service", "notes.txt",
                          "/etc/crontab", "x", "--", "-ie", "/tmp/.bashrc"])
_REDIRECTS = st.sampled_from([">/etc/cron.d/job", ">> ~/.bashrc", "2>&1", ">/dev/null", "> a.service", "<in.txt",
                              ">|/etc/cron.daily/x", "&>log.txt"])
_PROGRAMS = st.sampled_from(["tee", "cp", "mv", "ln", "install", "rsync", "sed", "perl", "echo", "cat", "python3", "",
                             None])


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(_PROGRAMS, st.none() | st.lists(_WORDS, max_size=5),
                               st.none() | st.lists(_REDIRECTS, max_size=3)), min_size=1, max_size=30))
def test_writes_to_finds_what_every_written_path_finds(rows):
    commands = pl.DataFrame(
        {"trial_id": ["t"] * len(rows), "seq": list(range(len(rows))), "idx": [0] * len(rows),
         "program": [r[0] for r in rows], "argv": [r[1] for r in rows], "redirects": [r[2] for r in rows],
         "text": ["cmd"] * len(rows)},
        schema={"trial_id": pl.Utf8, "seq": pl.Int32, "idx": pl.Int32, "program": pl.Utf8,
                "argv": pl.List(pl.Utf8), "redirects": pl.List(pl.Utf8), "text": pl.Utf8})
    expected = commands.filter(_every_written_path())["seq"].to_list()
    match = writes_to(PATTERN)
    assert commands.filter(match.expr)["seq"].to_list() == expected
    # and branch by branch, as the engine reads a command rule
    empty = pl.DataFrame()
    frames = Frames(trials=empty, events=empty, commands=commands, actions=empty, observations=empty,
                    messages=empty, output_shift=empty)
    assert command_rows(frames, match)["seq"].to_list() == expected
