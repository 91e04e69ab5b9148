"""The agent's stated intent around a failing step: a failure it reproduced on purpose is no obstacle.

OBS-OTHER-ERROR skips a failure the agent set out to reproduce or demonstrate (its text before
the step says so and it is not re-running to check a fix, or it says it will confirm the bug
exists), a failure its reaction after the step says confirmed the bug, and an output that
presents itself as a demonstration of the issue. :func:`turn_texts` gives each action the
agent's text before and after it; :func:`deliberate` is the test over those columns.
"""

from __future__ import annotations

import polars as pl

from ...answers import known_mask
from ...frames import per_batch
from .outputs import text_matches

#: the agent says, before the step, that it runs something to reproduce or confirm a bug
REPRO_BEFORE = (
    r"(?i)\b(reproduc\w*|replicat\w* (?:the|this) (?:issue|bug|problem|error|failure)|"
    r"demonstrat\w* (?:the|this) (?:issue|bug|problem)|confirm (?:the|this) (?:issue|bug|problem)|"
    r"show(?:s|ing)? (?:the|this) (?:issue|bug|problem)|trigger (?:the|this) (?:issue|bug|error))\b"
)
#: ... said so plainly that re-running does not mean checking a fix ("confirm the bug exists")
REPRO_STRONG = (
    r"(?i)\b(?:confirm|verify|check|show|demonstrate|prove|see)\w* (?:that |whether |if )?(?:the |this |our )?"
    r"(?:bug|issue|problem|error|failure) (?:exists|occurs|is (?:present|real|reproducible)|happens|still occurs)\b|"
    r"\b(?:is|should be) (?:expected to|supposed to) fail\b|\bexpect(?:ed|ing)? (?:it |this |the \w+ )?to fail\b"
)
#: a script named for reproducing or analysing the bug (reproduce.py, test_parser_issue.py)
REPRO_SCRIPT = r"(?i)\b(?:reproduc\w*|repro|analy[sz]e\w*|demonstrat\w*|demo)\.py\b|\w*_(?:issue|bug)\w*\.py\b"
#: ... but not when it is re-running it to check a fix
VERIFY_FIX = r"(?i)\b(fix(?:ed|es)?|verify|works?|still|again|after (?:the|my|our) change)\b"
#: the agent's reaction after the step says the failure confirmed the bug
REPRO_AFTER = (
    r"(?i)\b((?:confirm(?:s|ed)?|reproduc(?:es|ed)|demonstrat(?:es|ed)) (?:the |this |that |our )?(?:issue|bug|problem|error|behaviou?r)|"
    r"(?:issue|bug|problem) (?:is |has been )?(?:confirmed|reproduced)|successfully reproduc\w*|"
    r"(?:I|we) (?:can )?(?:see|reproduce) the (?:issue|bug|problem))"
)
#: a check's output that frames its failures as the behaviour before the fix (a demonstration)
DEMO_OUTPUT = (
    r"(?i)\b((?:current|original|buggy|old|existing|unfixed|unpatched) (?:implementation|behaviou?r|code|version)|"
    r"before (?:the )?fix|without (?:the )?fix|"
    r"(?:understand|demonstrat|reproduc|illustrat|investigat|explor)\w* (?:the |this )?(?:[\w().-]+ ){0,3}"
    r"(?:issue|bug|problem))\b"
)
FIXED_OUTPUT = r"(?i)\b((?:fixed|patched|new) (?:implementation|behaviou?r|code|version)|(?:with|after) (?:the )?fix)\b"


@per_batch
def turn_texts(frames) -> pl.DataFrame:
    """Per action: the agent's text before it (same turn) and its reaction after it."""
    return turn_texts_of(frames)


def turn_texts_of(frames, wanted: pl.DataFrame | None = None) -> pl.DataFrame:
    """:func:`turn_texts` of the actions in ``wanted`` (trial_id, action_seq; None: every action),
    in step order. A message lies between two actions of its trial (before the first, after
    the last), and only the texts of the wanted actions' messages are read and put together:
    the actions and messages are placed by their order alone (each action numbered in step
    order, a message after action *k* and before *k* + 1), and are not joined by their trial
    and step, which held a few times the batch's messages for a moment."""
    ev = frames.events
    marks = ev.select((pl.col("kind") == "action").fill_null(False).alias("_a"),
                      ((pl.col("kind") == "message") & (pl.col("role") == "assistant")).fill_null(False).alias("_m"))
    if not marks["_a"].any() or not marks["_m"].any():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "action_seq": pl.Int32, "before": pl.Utf8, "after": pl.Utf8})
    order = ev.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_r"), "trial_id", "seq", marks["_a"]).filter(
        marks["_a"] | marks["_m"])
    trial, seq = order["trial_id"], order["seq"]
    if not trial.is_sorted() or ((trial == trial.shift(1)) & (seq <= seq.shift(1))).any():
        order = order.sort("trial_id", "seq")
    order = order.with_columns(pl.col("_a").cum_sum().cast(pl.UInt32).alias("_k"))
    acts = order.filter("_a").select("_k", "trial_id", pl.col("seq").cast(pl.Int64).alias("act_seq"))
    if wanted is not None:
        keep = wanted.select("trial_id", pl.col("action_seq").cast(pl.Int64).alias("act_seq")).unique()
        acts = acts.join(keep, on=["trial_id", "act_seq"], how="semi", maintain_order="left")
    msgs = order.filter(~pl.col("_a")).select("_r", "trial_id", "_k")

    def texts(number: pl.Expr, name: str) -> pl.DataFrame:
        """The messages of each wanted action (its number ``_n``) on one side, joined."""
        rows = msgs.with_columns(number.alias("_n")).filter(pl.col("_n").is_in(acts["_k"].implode()))
        rows = rows.join(acts.select("_k", pl.col("trial_id").alias("_t")), left_on="_n", right_on="_k",
                         maintain_order="left").filter(pl.col("trial_id") == pl.col("_t"))
        text = ev["text"].gather(rows["_r"]).fill_null("")
        return rows.select("_n", text.alias(name)).group_by("_n", maintain_order=True).agg(pl.col(name).str.join("\n"))

    before, after = texts(pl.col("_k") + 1, "before"), texts(pl.col("_k"), "after")
    return (acts.join(before, left_on="_k", right_on="_n", how="left", maintain_order="left")
            .join(after, left_on="_k", right_on="_n", how="left", maintain_order="left")
            .select("trial_id", pl.col("act_seq").cast(pl.Int32).alias("action_seq"),
                    pl.col("before").fill_null(""), pl.col("after").fill_null("")))


def deliberate(cand: pl.DataFrame) -> pl.Series:
    """Over observations with ``command`` and the :func:`turn_texts` of their action (``before``,
    ``after``): whether the failure was reproduced on purpose (and not re-run to check a fix),
    or the agent's reaction says it confirmed the bug, or the output frames itself as a
    demonstration. The tests of the command alone and of the output alone are answered once
    per value (:func:`~redline.classifiers.answers.known_mask`: commands and outputs repeat,
    the agent's words around them do not)."""
    script = known_mask(cand, pl.col("command").str.contains(REPRO_SCRIPT).fill_null(False))
    demo = known_mask(cand, _DEMO)
    return cand.select(
        ((pl.col("before").str.contains(REPRO_BEFORE) | script) & ~pl.col("before").str.contains(VERIFY_FIX))
        | pl.col("before").str.contains(REPRO_STRONG) | pl.col("after").str.contains(REPRO_AFTER) | demo
    ).to_series()


#: an output that frames its failures as the behaviour before the fix
_DEMO = text_matches(DEMO_OUTPUT) & ~text_matches(FIXED_OUTPUT)
