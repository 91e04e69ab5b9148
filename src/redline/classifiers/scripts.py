"""Scripts the agent wrote and then ran: classify the run by what the script contains.

``cat > fix.sh <<EOF ... EOF`` followed (in the same step or later) by ``bash fix.sh`` runs the
commands of the heredoc. :func:`script_commands` finds such pairs over a whole batch and returns
extra rows for the ``commands`` frame: the script's own commands (a shell script, parsed with
the real shell parser) or its code (a Python, Node, Perl... script, kept in ``code``), attached
to the step that *runs* the script (``seq``) with ``context = 'script'`` and ``evidence_seq`` =
the step that *wrote* it. Their spans are offsets in the writer's text when the body can be
found there.

Writers recognised: a heredoc into a file (``cat > f <<EOF``, ``cat <<EOF > f``, ``tee f <<EOF``,
``>>`` appends), ``echo``/``printf ... > f``, ``str_replace_editor create f --file_text ...``,
SWE-agent ``create f`` followed by ``edit``/``insert``/``append`` of the open file, and Claude Code
``Write``/``Edit`` tool calls (``file_path`` / ``content`` / ``new_string`` in the action's attrs).
Runners recognised: ``bash f``/``sh f``/``source f``/``. f``, ``python f`` (and other
interpreters), and ``./f`` (any path to the file). Files are matched by base name; the latest
writer before the run wins, and appends since the last full write are concatenated.
"""

from __future__ import annotations

import json
import re

import polars as pl

from ..shell import parse

#: the tools whose actions write a file from their attrs (Claude Code's ``Write`` and ``Edit``:
#: ``file_path`` and ``content`` / ``new_string``); the classify reader reads the attrs of these
#: actions only
WRITE_TOOLS = ("Write", "Edit")

#: first ``idx`` used for rows found in scripts (parsed commands keep their small indices)
SCRIPT_IDX_BASE = 100_000
#: rows kept per script
MAX_SCRIPT_COMMANDS = 999
#: characters of a script body that are parsed or kept as code
MAX_SCRIPT_CHARS = 200_000

_SHELLS = ["bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "source", "."]
_INTERPRETER = r"^(python[0-9.]*[a-z]?|pypy[0-9.]*|node|nodejs|deno|bun|ts-node|perl|ruby|php|lua|Rscript)$"
_WRITE_REDIRECT = r"^(\d*|&)>>?\|?[^&>]"
_DEV = r"^(\d*|&)>>?\|?\s*/dev/"


def _basename(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars("'\"").str.replace(r"^.*/", "")


def _first_operand(expr_argv: pl.Expr) -> pl.Expr:
    return expr_argv.list.eval(pl.element().filter(~pl.element().str.starts_with("-"))).list.get(
        0, null_on_oob=True)


def _writers(commands: pl.DataFrame, actions: pl.DataFrame) -> pl.DataFrame:
    """Rows (trial_id, seq, idx, key, body, append) for every write of a file's content."""
    el = pl.element()
    cmd = commands.select("trial_id", "seq", "idx", "program", "argv", "redirects", "heredoc", "tool")
    targets = pl.col("redirects").list.eval(
        el.filter(el.str.contains(_WRITE_REDIRECT) & ~el.str.contains(_DEV)))
    cmd = cmd.with_columns(targets.alias("_targets"))
    has_target = pl.col("_targets").list.len() > 0
    appends = pl.col("_targets").list.get(0, null_on_oob=True).str.contains(r"^(\d*|&)>>")
    first_target = pl.col("_targets").list.get(0, null_on_oob=True).str.replace(r"^(\d*|&)>>?\|?\s*", "")
    parts: list[pl.DataFrame] = []
    # heredoc into a file: cat > f <<EOF / cat <<EOF > f / tee [-a] f <<EOF
    here = cmd.filter(pl.col("heredoc").is_not_null())
    if here.height:
        tee_file = _first_operand(pl.col("argv"))
        parts.append(here.filter(has_target | (pl.col("program") == "tee") & tee_file.is_not_null()).select(
            "trial_id", "seq", "idx",
            pl.when(has_target).then(first_target).otherwise(tee_file).alias("path"),
            pl.col("heredoc").alias("body"),
            pl.when(has_target).then(appends).otherwise(pl.col("argv").list.contains("-a")).alias("append"),
        ))
    # echo / printf 'text' > f (literal \n read as a newline: the agent means a line break)
    echo = cmd.filter(pl.col("program").is_in(["echo", "printf"]) & has_target & pl.col("heredoc").is_null())
    if echo.height:
        words = pl.col("argv").list.eval(el.filter(~el.str.contains(r"^-[neE]+$")))
        parts.append(echo.select(
            "trial_id", "seq", "idx", first_target.alias("path"),
            words.list.join(" ").str.replace_all(r"\\n", "\n").alias("body"), appends.alias("append"),
        ))
    # str_replace_editor create PATH --file_text BODY / str_replace ... --new_str BODY
    sre = cmd.filter(pl.col("program").is_in(["str_replace_editor", "edit_file"]))
    if sre.height:
        argv = pl.col("argv")
        sub = argv.list.get(0, null_on_oob=True)
        def after(flag: str) -> pl.Expr:
            at = argv.list.eval(el == flag).list.arg_max()
            return pl.when(argv.list.contains(flag)).then(argv.list.get(at + 1, null_on_oob=True))

        body = pl.coalesce(after("--file_text"), after("--new_str"))
        parts.append(sre.filter(sub.is_in(["create", "str_replace", "insert"])).select(
            "trial_id", "seq", "idx", argv.list.get(1, null_on_oob=True).alias("path"), body.alias("body"),
            (sub != "create").alias("append"),
        ).filter(pl.col("body").is_not_null()))
    # SWE-agent: create F (opens F), open F, then edit/insert/append bodies go to the open file
    acts = actions.select("trial_id", "seq", "tool", "text").filter(
        pl.col("tool").is_in(["create", "open", "edit", "insert", "append"]))
    if acts.height:
        first_line = pl.col("text").str.extract(r"^\s*\S+\s+([^\n]*)", 1)
        opened = acts.filter(pl.col("tool").is_in(["create", "open"])).select(
            "trial_id", "seq", first_line.str.extract(r"^\s*(\"[^\"]+\"|'[^']+'|\S+)", 1)
            .str.strip_chars("'\"").alias("path"), (pl.col("tool") == "create").alias("_create"))
        edits = acts.filter(pl.col("tool").is_in(["edit", "insert", "append"])).with_columns(
            pl.when(pl.col("text").str.contains(r"\n"))
            .then(pl.col("text").str.replace(r"^[^\n]*\n", "").str.replace(r"\n?\s*end_of_\w+\s*$", ""))
            .otherwise(pl.col("text").str.replace(r"^\s*\S+\s*", "").str.strip_chars(" '\""))
            .alias("body"))
        if opened.height:
            parts.append(opened.filter(pl.col("_create")).select(
                "trial_id", "seq", pl.lit(0, pl.Int32).alias("idx"), "path", pl.lit("").alias("body"),
                pl.lit(False).alias("append")))
        if opened.height and edits.height:
            edits = edits.sort("trial_id", "seq").join_asof(
                opened.sort("trial_id", "seq").select("trial_id", pl.col("seq").alias("_oseq"), "path",
                                                      pl.col("seq").alias("_k")),
                left_on="seq", right_on="_k", by="trial_id", strategy="backward", check_sortedness=False)
            parts.append(edits.filter(pl.col("path").is_not_null()).select(
                "trial_id", "seq", pl.lit(0, pl.Int32).alias("idx"), "path", "body", pl.lit(True).alias("append")))
    # Claude Code Write / Edit (content in the action's attrs)
    if "attrs" in actions.columns:
        cc = actions.filter(pl.col("tool").is_in(WRITE_TOOLS) & pl.col("attrs").is_not_null())
        if cc.height:
            parts.append(cc.select(
                "trial_id", "seq", pl.lit(0, pl.Int32).alias("idx"),
                pl.col("attrs").str.json_path_match("$.input.file_path").alias("path"),
                pl.coalesce(pl.col("attrs").str.json_path_match("$.input.content"),
                            pl.col("attrs").str.json_path_match("$.input.new_string")).alias("body"),
                (pl.col("tool") == "Edit").alias("append"),
            ).filter(pl.col("path").is_not_null() & pl.col("body").is_not_null()))
    if not parts:
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32, "idx": pl.Int32, "key": pl.Utf8,
                                    "body": pl.Utf8, "append": pl.Boolean})
    out = pl.concat([p.with_columns(pl.col("seq").cast(pl.Int32), pl.col("idx").cast(pl.Int32),
                                    pl.col("path").cast(pl.Utf8), pl.col("body").cast(pl.Utf8),
                                    pl.col("append").cast(pl.Boolean).fill_null(False)) for p in parts])
    return out.with_columns(_basename(pl.col("path")).alias("key")).filter(
        pl.col("key").is_not_null() & (pl.col("key") != "")).drop("path")


def _runners(commands: pl.DataFrame) -> pl.DataFrame:
    """Rows that run a file: (trial_id, seq, idx, key, lang) plus the runner's own columns."""
    argv = pl.col("argv")
    first = _first_operand(argv)
    prog = pl.col("program")
    is_shell = prog.is_in(_SHELLS) & ~argv.list.eval(pl.element().str.contains(r"^-[a-zA-Z]*c[a-zA-Z]*$")).list.any()
    is_interp = prog.str.contains(_INTERPRETER).fill_null(False) & ~argv.list.get(0, null_on_oob=True).fill_null(
        "").str.contains(r"^-[cme]")
    direct = pl.col("path").fill_null("").str.contains("/")
    lang = (pl.when(is_shell).then(pl.lit("sh"))
            .when(prog.str.contains(r"^(python|pypy)").fill_null(False) & is_interp).then(pl.lit("py"))
            .when(is_interp).then(pl.lit("code"))
            .when(direct).then(pl.lit("direct")))
    key = pl.when(is_shell | is_interp).then(_basename(first)).when(direct).then(prog)
    # only a shell, an interpreter or a program run by path can run a file: the argument lists
    # are read for those rows alone
    maybe = prog.is_in(_SHELLS) | prog.str.contains(_INTERPRETER) | pl.col("path").str.contains("/")
    return commands.filter(maybe.fill_null(False)).with_columns(lang.alias("_lang"), key.alias("key")).filter(
        pl.col("_lang").is_not_null() & pl.col("key").is_not_null())


def script_commands(commands: pl.DataFrame, actions: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Extra ``commands`` rows for scripts written earlier in the trial and run at this step.

    ``commands`` and ``actions`` are shaped as in :class:`~redline.classifiers.frames.Frames`
    (the stage that calls this is :func:`~redline.classifiers.frames.expand_scripts`);
    ``events`` gives the actions' ``attrs`` (Claude Code's Write/Edit tool input).
    """
    if "attrs" in events.columns:
        actions = actions.join(events.filter(pl.col("kind") == "action").select("trial_id", "seq", "attrs"),
                               on=["trial_id", "seq"], how="left")
    empty = commands.clear().with_columns(pl.lit(None, pl.Int32).alias("evidence_seq"))
    if commands.is_empty() and actions.is_empty():
        return empty
    writers = _writers(commands, actions)
    if writers.is_empty():
        return empty
    runners = _runners(commands)
    if runners.is_empty():
        return empty
    pos = (pl.col("seq").cast(pl.Int64) * 1_000_000 + pl.col("idx").cast(pl.Int64))
    writers = writers.with_columns(pos.alias("_wpos"))
    pairs = runners.select("trial_id", "key", pl.col("seq").alias("_rseq"), pl.col("idx").alias("_ridx"),
                           pos.alias("_rpos")).join(writers, on=["trial_id", "key"], how="inner").filter(
        pl.col("_wpos") < pl.col("_rpos"))
    if pairs.is_empty():
        return empty
    # the content at run time: the last full write before the run, plus the appends after it
    last_full = pairs.filter(~pl.col("append")).group_by("trial_id", "_rseq", "_ridx").agg(
        pl.col("_wpos").max().alias("_full"))
    pairs = pairs.join(last_full, on=["trial_id", "_rseq", "_ridx"], how="left").filter(
        pl.col("_wpos") >= pl.col("_full").fill_null(-1))
    scripts = pairs.sort("_wpos").group_by("trial_id", "_rseq", "_ridx", maintain_order=True).agg(
        pl.col("body").str.join("\n").alias("body"), pl.col("seq").last().alias("_wseq"),
        pl.col("body").last().alias("_last_body"), pl.col("key").first())
    scripts = scripts.filter(pl.col("body").str.strip_chars() != "")
    if scripts.is_empty():
        return empty
    runner_rows = runners.rename({"seq": "_rseq", "idx": "_ridx"}).drop("key")
    scripts = scripts.join(runner_rows, on=["trial_id", "_rseq", "_ridx"], how="left")
    writer_text = actions.select("trial_id", pl.col("seq").alias("_wseq"), pl.col("text").alias("_wtext"))
    scripts = scripts.join(writer_text, on=["trial_id", "_wseq"], how="left")
    return _script_rows(scripts, commands.schema)


def _language(lang: str, key: str, body: str) -> str:
    if lang != "direct":
        return lang
    first = body.lstrip()[:200].split("\n", 1)[0]
    if first.startswith("#!"):
        if re.search(r"python|pypy", first):
            return "py"
        if re.search(r"\b(ba|z|da|k)?sh\b", first):
            return "sh"
        return "code"
    if key.endswith(".py"):
        return "py"
    if re.search(r"\.(js|mjs|ts|pl|rb|php|lua|R)$", key):
        return "code"
    return "sh"


def _script_rows(scripts: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """The ``commands`` rows of the scripts run (one row of ``scripts`` per script run).

    Python reads each run's body, language and writer once; the rows themselves are built by
    polars: a shell body's commands are parsed once per distinct body into a frame of their
    own, joined to the runs of that body, and given each run's trial, step, indices and spans
    (a script run by many trials would otherwise build its rows, lists and all, once per run)."""
    names = list(dict.fromkeys([*schema, "evidence_seq"]))
    out_schema = dict(schema)
    out_schema["evidence_seq"] = pl.Int32
    bodies: dict[str, int] = {}
    parsed: list[list] = []
    langs, body_ids, offsets, ends, codes = [], [], [], [], []
    for body, lang, key, wtext, last in scripts.select(
            "body", "_lang", "key", "_wtext", "_last_body").iter_rows():  # one iteration per script run
        body = (body or "")[:MAX_SCRIPT_CHARS]
        lang = _language(lang, key or "", body)
        wtext, last = wtext or "", last or ""
        found = wtext.find(last) if last else -1
        # spans point into the writer's text; a body assembled from several writes has none
        offset = found if found >= 0 and body == last else None
        langs.append(lang)
        if lang == "sh":
            if body not in bodies:
                bodies[body] = len(parsed)
                parsed.append(parse(body).commands[:MAX_SCRIPT_COMMANDS])
            body_ids.append(bodies[body])
            ends.append(None)
            codes.append(None)
        else:
            body_ids.append(None)
            ends.append(offset + len(last) if offset is not None else None)
            codes.append(body)
        offsets.append(offset)
    runs = scripts.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_order"), pl.Series("_language", langs, pl.Utf8),
        pl.Series("_body", body_ids, pl.Int64), pl.Series("_offset", offsets, pl.Int64),
        pl.Series("_end", ends, pl.Int64), pl.Series("_code", codes, pl.Utf8),
        *[pl.lit(None, out_schema.get(c, pl.Utf8)).alias(c) for c in ("tool", "command_type", "depth", "sudo",
                                                                      "program", "path", "argv", "wrappers")
          if c not in scripts.columns])
    base = SCRIPT_IDX_BASE + pl.col("_ridx").cast(pl.Int64) * (MAX_SCRIPT_COMMANDS + 1)
    common = [pl.col("trial_id"), pl.col("_rseq").alias("seq"), pl.col("tool"), pl.col("command_type"),
              pl.col("_wseq").alias("evidence_seq"), pl.lit("script").alias("context"), pl.col("_order")]
    runner_sudo = pl.col("sudo").fill_null(False)
    depth = pl.col("depth").cast(pl.Int64).fill_null(0) + 1
    template = _parsed_commands(parsed)
    shell = runs.filter(pl.col("_language") == "sh").join(
        template, on="_body", how="inner").select(
        *common, pl.col("_k"), (base + pl.col("_c_idx")).alias("idx"),
        pl.when(pl.col("_c_parent").is_null()).then(pl.col("_ridx").cast(pl.Int64))
        .otherwise(base + pl.col("_c_parent")).alias("parent_idx"),
        (depth + pl.col("_c_depth")).alias("depth"), pl.col("_c_program").alias("program"),
        pl.col("_c_path").alias("path"), pl.col("_c_argv").alias("argv"), pl.col("_c_wrappers").alias("wrappers"),
        (pl.col("_c_sudo") | runner_sudo).alias("sudo"), pl.col("_c_background").alias("background"),
        pl.col("_c_operator").alias("operator"), pl.col("_c_redirects").alias("redirects"),
        pl.col("_c_heredoc").alias("heredoc"), pl.col("_c_code").alias("code"), pl.col("_c_text").alias("text"),
        (pl.col("_offset") + pl.col("_c_start")).alias("span_start"),
        (pl.col("_offset") + pl.col("_c_end")).alias("span_end"))
    empty_list = pl.lit([], pl.List(pl.Utf8))
    code = runs.filter(pl.col("_language") != "sh").select(
        *common, pl.lit(0, pl.Int64).alias("_k"), base.alias("idx"), pl.col("_ridx").cast(pl.Int64).alias("parent_idx"),
        depth.alias("depth"), pl.col("program"), pl.col("path"),
        pl.col("argv").fill_null(empty_list), pl.col("wrappers").fill_null(empty_list),
        runner_sudo.alias("sudo"), pl.lit(False).alias("background"), pl.lit(None, pl.Utf8).alias("operator"),
        empty_list.alias("redirects"), pl.lit(None, pl.Utf8).alias("heredoc"), pl.col("_code").alias("code"),
        pl.col("_code").alias("text"), pl.col("_offset").alias("span_start"), pl.col("_end").alias("span_end"))
    rows = pl.concat([shell, code], how="diagonal_relaxed").sort("_order", "_k")
    return rows.select(pl.col(n).cast(out_schema[n]) if n in rows.columns else pl.lit(None, out_schema[n]).alias(n)
                       for n in names)


def _parsed_commands(parsed: list[list]) -> pl.DataFrame:
    """One row per command of each parsed body: ``_body`` (its position in ``parsed``), ``_k``
    (the command's position in the body) and the command's fields as ``_c_*`` columns."""
    fields = {"_body": pl.Int64, "_k": pl.Int64, "_c_idx": pl.Int64, "_c_parent": pl.Int64, "_c_depth": pl.Int64,
              "_c_program": pl.Utf8, "_c_path": pl.Utf8, "_c_argv": pl.List(pl.Utf8),
              "_c_wrappers": pl.List(pl.Utf8), "_c_sudo": pl.Boolean, "_c_background": pl.Boolean,
              "_c_operator": pl.Utf8, "_c_redirects": pl.List(pl.Utf8), "_c_heredoc": pl.Utf8, "_c_code": pl.Utf8,
              "_c_text": pl.Utf8, "_c_start": pl.Int64, "_c_end": pl.Int64}
    rows = [(b, k, c.idx, c.parent_idx, c.depth, c.program, c.path, list(c.argv), list(c.wrappers), bool(c.sudo),
             bool(c.background), c.operator, list(c.redirects), c.heredoc, c.code, c.text, c.span_start, c.span_end)
            for b, commands in enumerate(parsed) for k, c in enumerate(commands)]
    columns = [list(col) for col in zip(*rows)] if rows else [[] for _ in fields]
    return pl.DataFrame([_series(name, col, dtype) for (name, dtype), col in zip(fields.items(), columns)])


def _series(name: str, values: list, dtype: pl.DataType) -> pl.Series:
    """A column of Python values; a list column through JSON: polars builds a list column from
    Python lists one small series at a time, several times slower than decoding it."""
    if isinstance(dtype, pl.List):
        dumps = json.dumps
        return pl.Series(name, [dumps(v) for v in values], pl.Utf8).str.json_decode(dtype)
    return pl.Series(name, values, dtype)
