"""Shell commands embedded in code or handed to a session manager, parsed like typed commands.

``python3 -c "import os; os.system('pkill -f server')"`` runs ``pkill -f server`` as surely as
typing it would, and ``tmux new-session -d 'python start.py --port 8001'`` runs
``python start.py``. :func:`embedded_commands` finds such command strings and argument lists
and returns extra rows for the ``commands`` frame, parsed with the real shell parser, so every
command rule labels them as it would the same command typed directly.

Where commands are found:

``code-shell`` rows
    in code run by an interpreter (the ``code`` column: ``python -c``, ``python - <<EOF``, a
    script written earlier and run now): Python's ``os.system``, ``os.popen``,
    ``subprocess.run|call|check_call|check_output|Popen|getoutput|getstatusoutput``,
    ``os.spawn*``/``os.exec*``, ``pty.spawn`` and ``asyncio.create_subprocess_shell|exec``; Node's
    ``child_process`` ``exec``/``execSync``/``spawn``/``spawnSync``/``execFile``; ``system(...)``
    of Ruby, Perl and PHP. Python code is read with :mod:`ast`: a string literal is a command
    line, a list is an argument vector (``sys.executable`` reads as ``python3``), a name is
    resolved to the string or list last assigned to it before the call, and an f-string or a
    concatenation keeps its literal parts with ``$name`` standing for each computed part (so
    ``f"kill -9 {pid}"`` reads as ``kill -9 $pid``). Code that does not parse as Python falls
    back to regular expressions over literal strings and lists.
``session`` rows
    the command a session manager starts: ``tmux new-session|new-window|split-window|
    respawn-pane ... 'command'`` and ``screen -dm ... program args``.

Each row keeps the step (``seq``) and ``evidence_seq`` of the row it came from (a script
written earlier keeps pointing at the step that wrote it), has ``parent_idx`` = that row's
``idx``, and the parent's span (the embedded text is rarely findable verbatim in the line).
Only the rows that mention such a call are read in Python, one iteration per such row.
"""

from __future__ import annotations

import ast
import re
import shlex

import polars as pl

from ..shell import parse

#: first ``idx`` of embedded rows (numbered on from there within each step)
EMBED_IDX_BASE = 200_000_000
#: rows kept per row that embeds commands
EMBED_PER_PARENT = 100
#: characters of code read per row
MAX_CODE_CHARS = 200_000
#: rounds of nesting followed (code that runs ``python -c`` with more ``os.system`` inside)
MAX_ROUNDS = 2

#: a cheap filter for rows that may hold an embedded command
CALL_HINT = (r"os\.(system|popen|spawn|exec)|subprocess|getoutput|pty\.spawn|create_subprocess_|"
             r"child_process|exec(Sync|File|FileSync)?\s*\(|spawn(Sync)?\s*\(|(^|[^.\w])system\s*\(")

_PY_SHELL_STRING = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
                    "commands.getoutput", "asyncio.create_subprocess_shell", "popen2.popen2"}
_PY_ARGV = {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
            "subprocess.Popen", "pty.spawn", "asyncio.create_subprocess_exec", "sh.Command"}
#: os.exec*/os.spawn*: (index of the program argument, index where argv starts, argv given as a list)
_PY_EXEC = re.compile(r"^os\.(exec|spawn)(l|lp|le|lpe|v|vp|ve|vpe)$")
_PY_CALL_RE = re.compile(
    r"(?:os\.system|os\.popen|subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)"
    r"|pty\.spawn|asyncio\.create_subprocess_(?:shell|exec))\s*\(\s*")
#: Node's child_process calls (plain ``exec(``/``spawn(`` only where the code names child_process)
_NODE_SYNC_RE = re.compile(r"\b(?:execSync|execFileSync|spawnSync)\s*\(\s*")
_NODE_ANY_RE = re.compile(r"\b(?:execSync|exec|execFileSync|execFile|spawnSync|spawn)\s*\(\s*")
#: Ruby, Perl and PHP's system()
_SYSTEM_RE = re.compile(r"(?<![.\w])system\s*\(\s*")
_STRING_RE = re.compile(r"""[rbuRBU]{0,2}[fF]?(\"\"\"|'''|"|'|`)(.*?)(?<!\\)\1""", re.S)
_LIST_RE = re.compile(r"\[((?:\s*(?:[rbufRBUF]{0,2}(?:\"[^\"\n]*\"|'[^'\n]*')|sys\.executable)\s*,?)+)\s*\]")


def _dotted(node: ast.AST) -> str:
    """The call's function as a dotted name (``os.system``)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _placeholder(node: ast.AST) -> str:
    try:
        src = ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd nodes
        src = "value"
    name = re.sub(r"\W+", "_", re.sub(r"^(str|int|repr)\((.*)\)$", r"\2", src)).strip("_") or "value"
    return "$" + name[:40]


class _PyReader:
    """Command lines in one piece of Python code."""

    def __init__(self, tree: ast.AST, node_js: bool) -> None:
        self.tree = tree
        self.node_js = node_js
        # name -> [(line, value node)] of simple assignments, to resolve ``os.system(cmd)``
        self.assigned: dict[str, list[tuple[int, ast.AST]]] = {}
        # local names of imported modules and functions: ``import subprocess as sp``,
        # ``from subprocess import run``, ``from os import system``
        self.aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append((node.lineno, node.value))
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def name(self, func: ast.AST) -> str:
        dotted = _dotted(func)
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            return self.aliases[head] + ("." + rest if rest else "")
        return dotted

    def resolve(self, node: ast.AST, line: int, depth: int = 0) -> ast.AST | None:
        if isinstance(node, ast.Name) and depth < 3:
            before = [v for at, v in self.assigned.get(node.id, []) if at <= line]
            return self.resolve(before[-1], line, depth + 1) if before else None
        return node

    def text(self, node: ast.AST, line: int) -> str | None:
        """A string expression as shell text (computed parts as ``$name``), or None."""
        node = self.resolve(node, line)
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            out = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    out.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    out.append(self.text(part.value, line) if isinstance(part.value, ast.Name)
                               and self._is_str(part.value, line) else _placeholder(part.value))
            return "".join(out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left = self.text(node.left, line)
            if isinstance(node.op, ast.Mod):
                return None if left is None else re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdrif]", "$value", left)
            right = self.text(node.right, line)
            return (left if left is not None else _placeholder(node.left)) + (
                right if right is not None else _placeholder(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return self.text(node.func.value, line)
        return None

    def _is_str(self, node: ast.AST, line: int) -> bool:
        value = self.resolve(node, line)
        return isinstance(value, ast.Constant) and isinstance(value.value, str)

    def word(self, node: ast.AST, line: int) -> str:
        if _dotted(node) == "sys.executable":
            return "python3"
        text = self.text(node, line)
        if text is not None:
            return shlex.quote(text) if not text.startswith("$") else text
        return _placeholder(node)

    def argv(self, node: ast.AST, line: int) -> str | None:
        """A list or tuple expression as a command line, or a string one (``"ls -l".split()``)."""
        node = self.resolve(node, line)
        if isinstance(node, (ast.List, ast.Tuple)):
            words = []
            for el in node.elts:
                if isinstance(el, ast.Starred):
                    words.append(_placeholder(el.value))
                else:
                    words.append(self.word(el, line))
            return " ".join(words) if words else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split" \
                and not node.args:
            return self.text(node.func.value, line)
        if isinstance(node, ast.Call) and _dotted(node.func) == "shlex.split" and node.args:
            return self.text(node.args[0], line)
        if node is not None:
            return self.text(node, line)
        return None

    def _node_call(self, name: str) -> bool:
        last = name.rsplit(".", 1)[-1]
        if last in ("execSync", "spawnSync", "execFileSync"):
            return True
        if last in ("exec", "spawn", "execFile"):
            return self.node_js and name != "exec"
        return name == "system"

    def commands(self) -> list[str]:
        found: list[str] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = self.name(node.func)
            first = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in ("args", "cmd", "command")), None)
            line = getattr(node, "lineno", 0)
            if name in _PY_SHELL_STRING and first is not None:
                text = self.text(first, line)
            elif name in _PY_ARGV and first is not None:
                text = self.argv(first, line)
            elif self._node_call(name) and first is not None:
                # child_process: execSync('cmd'), spawn('prog', ['a', 'b']); Ruby/Perl/PHP system('cmd')
                text = self.text(first, line)
                if text is not None and len(node.args) >= 2 and isinstance(node.args[1], (ast.List, ast.Tuple)):
                    text = " ".join([shlex.quote(text), self.argv(node.args[1], line) or ""]).strip()
            elif _PY_EXEC.match(name) and len(node.args) >= 2:
                # os.execvp(file, args) / os.spawnlp(mode, file, arg0, arg1...)
                spawn = name.startswith("os.spawn")
                rest = node.args[1:] if spawn else node.args
                if len(rest) >= 2 and name.rstrip("e").endswith(("v", "vp")):
                    text = self.argv(rest[1], line)
                else:
                    text = " ".join(self.word(a, line) for a in rest[1:]) or None
            else:
                continue
            if text and text.strip():
                found.append(text)
        return found


def _literal_value(quote: str, body: str) -> str:
    try:
        return ast.literal_eval(quote + body + quote) if quote != "`" else body
    except Exception:  # noqa: BLE001 - not a valid Python literal: keep the raw text
        return body


def _regex_commands(code: str) -> list[str]:
    """Command strings and lists after a known call, read with regular expressions."""
    found: list[str] = []
    node_re = _NODE_ANY_RE if "child_process" in code else _NODE_SYNC_RE
    for call_re in (_PY_CALL_RE, node_re, _SYSTEM_RE):
        for m in call_re.finditer(code):
            rest = code[m.end():m.end() + 4000]
            lst = _LIST_RE.match(rest)
            if lst:
                words = []
                for w in re.finditer(r"""[rbufRBUF]{0,2}("([^"\n]*)"|'([^'\n]*)')|sys\.executable""", lst.group(1)):
                    words.append("python3" if w.group(0) == "sys.executable" else
                                 shlex.quote(w.group(2) if w.group(2) is not None else w.group(3) or ""))
                if words:
                    found.append(" ".join(words))
                continue
            s = _STRING_RE.match(rest)
            if not s:
                continue
            text = _literal_value(s.group(1), s.group(2))
            # spawn('prog', ['a', 'b']) in Node
            after = rest[s.end():s.end() + 2000]
            args = re.match(r"\s*,\s*\[([^\]]*)\]", after)
            if args and call_re is node_re and re.search(r"spawn|execFile", m.group(0)):
                extra = [shlex.quote(w.group(2)) for w in re.finditer(r"""(['"`])(.*?)\1""", args.group(1))]
                text = " ".join([shlex.quote(text), *extra])
            found.append(text)
    return found


def code_command_lines(code: str) -> list[str]:
    """The shell command lines a piece of code runs, in the order found (see the module doc)."""
    code = code[:MAX_CODE_CHARS]
    if not re.search(CALL_HINT, code):
        return []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return _regex_commands(code)
    return _PyReader(tree, "child_process" in code).commands()


def session_command_line(program: str, argv: list[str]) -> str | None:
    """The command a ``tmux``/``screen`` invocation starts, or None."""
    if program == "tmux":
        if not argv:
            return None
        i = 0
        # tmux's own options before the subcommand (-L socket, -S path, -f file)
        while i < len(argv) and argv[i].startswith("-"):
            i += 2 if argv[i] in ("-L", "-S", "-f", "-T") else 1
        if i >= len(argv) or argv[i] not in ("new-session", "new", "new-window", "neww", "split-window",
                                             "splitw", "respawn-pane", "respawnp", "respawn-window", "respawnw"):
            return None
        i += 1
        takes_value = {"-s", "-n", "-t", "-c", "-x", "-y", "-e", "-F", "-l", "-p", "-f"}
        while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
            i += 2 if argv[i] in takes_value else 1
        if i < len(argv) and argv[i] == "--":
            i += 1
        rest = argv[i:]
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else " ".join(shlex.quote(w) for w in rest)
    if program == "screen":
        if not any(re.match(r"^-[a-zA-Z]*d[a-zA-Z]*m|^-[a-zA-Z]*m[a-zA-Z]*d|^-D?m", a) for a in argv if a.startswith("-")):
            return None
        i = 0
        takes_value = {"-S", "-c", "-e", "-h", "-L", "-Logfile", "-p", "-s", "-t", "-T", "-X"}
        while i < len(argv) and argv[i].startswith("-"):
            flag = argv[i]
            i += 2 if flag in takes_value or re.fullmatch(r"-[a-zA-Z]*S", flag) else 1
        rest = argv[i:]
        return " ".join(shlex.quote(w) for w in rest) if rest else None
    return None


def _candidates(commands: pl.DataFrame) -> pl.DataFrame:
    has_call = pl.col("code").str.contains(CALL_HINT).fill_null(False)
    session = pl.col("program").is_in(["tmux", "screen"]).fill_null(False) & (pl.col("argv").list.len() > 1)
    return commands.filter(has_call | session)


def embedded_commands(commands: pl.DataFrame) -> pl.DataFrame:
    """Extra ``commands`` rows for the shell commands that code or a session manager runs.

    ``commands`` must carry ``evidence_seq`` (null for rows of the step's own line); the result has
    the same columns.
    """
    schema = commands.schema
    out: list[pl.DataFrame] = []
    next_idx: dict[tuple[str, int], int] = {}
    todo = _candidates(commands)
    for _ in range(MAX_ROUNDS):
        if todo.is_empty():
            break
        cols: dict[str, list] = {name: [] for name in schema}
        for row in todo.iter_rows(named=True):  # one iteration per row that runs embedded commands
            if row.get("code"):
                lines, context = code_command_lines(row["code"]), "code-shell"
            else:
                line = session_command_line(row["program"], list(row["argv"] or []))
                lines, context = ([line] if line else []), "session"
            step = (row["trial_id"], row["seq"])
            kept = 0
            for line in lines[:EMBED_PER_PARENT]:
                parsed = parse(line).commands[:EMBED_PER_PARENT - kept]
                if not parsed:
                    continue
                base = next_idx.get(step, EMBED_IDX_BASE)
                next_idx[step] = base + len(parsed)
                kept += len(parsed)
                for c in parsed:
                    values = {
                        "trial_id": row["trial_id"], "seq": row["seq"], "idx": base + c.idx,
                        "parent_idx": row["idx"] if c.parent_idx is None else base + c.parent_idx,
                        "depth": (row.get("depth") or 0) + 1 + c.depth, "program": c.program, "path": c.path,
                        "argv": list(c.argv), "wrappers": list(c.wrappers), "sudo": bool(c.sudo or row.get("sudo")),
                        "background": bool(c.background), "operator": c.operator, "context": context,
                        "redirects": list(c.redirects), "heredoc": c.heredoc, "code": c.code, "text": c.text,
                        "span_start": row.get("span_start"), "span_end": row.get("span_end"),
                        "tool": row.get("tool"), "command_type": row.get("command_type"),
                        "evidence_seq": row.get("evidence_seq"),
                    }
                    for name in cols:
                        cols[name].append(values.get(name))
                if kept >= EMBED_PER_PARENT:
                    break
        found = pl.DataFrame(cols, schema=schema)
        if found.is_empty():
            break
        out.append(found)
        todo = _candidates(found)
    if not out:
        return commands.clear()
    return pl.concat(out)
