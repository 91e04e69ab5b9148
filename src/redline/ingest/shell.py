"""Parse a shell command line into the simple commands it runs.

Built on the maintained ``tree-sitter`` + ``tree-sitter-bash`` grammar (no hand-written splitting):
tree-sitter gives the syntax tree, this module walks it and turns every simple command into a
:class:`~redline.ingest.shell_types.SimpleCommand`, in source order, pre-order (a command comes
before the commands nested in it: ``$(...)``, ``bash -c "..."``, ``eval``, heredocs fed to a
shell, the command ``xargs`` runs).

Main entry point: :func:`parse`. It never raises.

Decisions worth knowing when writing rules on top of it:

* ``context`` is where a command came from: ``top``, ``pipeline`` (a member of a pipeline whose
  surrounding context would otherwise be ``top``), ``subshell`` (``( ... )`` and ``{ ...; }``),
  ``substitution`` (``$(...)``, backticks, ``<(...)``/``>(...)``), ``bash-c`` (``bash -c``,
  ``sh -c``, ``su -c``, and ``watch 'a | b'``), ``eval``, ``heredoc`` (script fed to a shell on
  stdin: ``bash <<EOF``, ``cat <<EOF | bash``, ``echo 'cmd' | sh``) and ``xargs`` (the command
  ``xargs`` runs; also the command of ``find -exec ... ;``).
* ``xargs`` keeps its own row (``program='xargs'``, full argv) and the command it runs is a child
  row (``context='xargs'``, ``parent_idx`` = the xargs row). Same for ``find -exec``.
* Compound statements (``if``/``while``/``for``/``case``/function bodies) do not add depth; the
  first command inside a compound statement or subshell inherits the operator that joins the
  compound to the previous command (``true && (rm x)`` gives ``rm`` the operator ``&&``).
* ``sudo`` is also set on every command launched *by* a privileged command (the children of
  ``sudo bash -c "..."``, ``su -c "..."``, ``sudo xargs rm``), not on ``$(...)`` children, which
  the calling shell runs.
* ``text``/``span`` of a command cover its words and redirections but not a heredoc body (the
  body is in ``heredoc``). For nested commands ``text`` is the text inside the nested string and
  the span is mapped back to the original line character by character (escapes included).
* A ``$(...)`` inside the command string of ``bash -c "..."``/``eval "..."`` is reported once,
  from the nested parse (its parent is the nested command), not also at the outer level.
"""

from __future__ import annotations

import re
import threading
from itertools import accumulate
from typing import Any, NamedTuple

from .shell_types import ParsedLine, SimpleCommand

__all__ = [
    "INTERPRETERS",
    "MAX_DEPTH",
    "MAX_LINE_CHARS",
    "SHELLS",
    "WRAPPERS",
    "is_interpreter",
    "parse",
]

#: shells whose ``-c`` string / stdin script is parsed as nested commands
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "rbash"})
#: interpreters whose inline program text goes to ``SimpleCommand.code`` (python3.11 etc. too,
#: see :func:`is_interpreter`)
INTERPRETERS = frozenset(
    {"python", "python2", "python3", "pypy", "pypy3", "node", "nodejs", "perl", "ruby", "php",
     "lua", "Rscript"}
)
_VERSIONED_INTERPRETER = re.compile(r"(?:python|pypy)[0-9][0-9.]*[a-z]?\Z")

#: deepest nesting (substitution, bash -c, eval, heredoc, subshell, xargs) that is descended into
MAX_DEPTH = 8
#: longer lines are cut to this many characters before parsing
MAX_LINE_CHARS = 200_000


def is_interpreter(program: str | None) -> bool:
    """Whether ``program`` (a basename) runs inline program text: python*, pypy*, node, perl, ruby,
    php, lua, Rscript. Shells are not interpreters here, see :data:`SHELLS`."""
    if not program:
        return False
    return program in INTERPRETERS or _VERSIONED_INTERPRETER.match(program) is not None


class _Spec(NamedTuple):
    """How to skip a wrapper's own options to find the command it runs."""

    short: str = ""  #: short options that take an argument (attached or as the next word)
    long: frozenset[str] = frozenset()  #: long options taking the next word (unless ``--x=v``)
    npos: int = 0  #: operands before the command (timeout DURATION, chroot NEWROOT)
    assigns: bool = False  #: ``VAR=value`` words may precede the command
    noexec: str = ""  #: short flags meaning no command is run (``command -v``, ``sudo -l``)


#: wrappers peeled off so ``program`` is what really runs
WRAPPERS: dict[str, _Spec] = {
    "sudo": _Spec(
        "CDghpRrTtUu",
        frozenset({"user", "group", "prompt", "close-from", "chdir", "chroot", "role", "type",
                   "command-timeout", "other-user", "host"}),
        assigns=True,
        noexec="elvV",
    ),
    "doas": _Spec("uC"),
    "nohup": _Spec(),
    "setsid": _Spec(),
    "nice": _Spec("n", frozenset({"adjustment"})),
    "ionice": _Spec("cnpPu", frozenset({"class", "classdata", "pid", "pgid", "uid"})),
    "timeout": _Spec("sk", frozenset({"signal", "kill-after"}), npos=1),
    "env": _Spec("uCS", frozenset({"unset", "chdir", "split-string"}), assigns=True),
    "stdbuf": _Spec("ioe", frozenset({"input", "output", "error"})),
    "time": _Spec("fo", frozenset({"format", "output"})),
    "command": _Spec(noexec="vV"),
    "exec": _Spec("a"),
    "builtin": _Spec(),
    "watch": _Spec("n", frozenset({"interval"})),
    "strace": _Spec("abeEIoOpPsSuX", frozenset({"output", "trace", "signal", "attach", "user",
                                                 "env", "string-limit"})),
    "ltrace": _Spec("aeEfnoOpsSuwXx", frozenset({"output", "library"})),
    "unbuffer": _Spec(),
    "chroot": _Spec("", frozenset({"userspec", "groups"}), npos=1),
    "taskset": _Spec("", npos=1, noexec="p"),
}
_XARGS = _Spec("aEdILnPs", frozenset({"arg-file", "delimiter", "max-args", "max-procs",
                                       "max-chars", "process-slot-var"}))
_PRIVILEGED = frozenset({"sudo", "doas"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_SHELL_META = frozenset(" \t\n|&;<>()$`")

# --------------------------------------------------------------------------------------------
# tree-sitter plumbing

_PARSER: Any = None
_PARSER_LOCK = threading.Lock()


def _get_parser() -> Any:
    global _PARSER
    if _PARSER is None:
        with _PARSER_LOCK:
            if _PARSER is None:
                import tree_sitter_bash
                from tree_sitter import Language, Parser

                _PARSER = Parser(Language(tree_sitter_bash.language()))
    return _PARSER


def _ts_parse(data: bytes) -> Any:
    parser = _get_parser()
    with _PARSER_LOCK:  # a tree-sitter Parser is not safe to share between threads
        return parser.parse(data)


_EXPANSIONS = frozenset(
    {"simple_expansion", "expansion", "command_substitution", "process_substitution",
     "arithmetic_expansion"}
)
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_PLAIN_WORDS = frozenset({"word", "number", "variable_name", "extglob_pattern", "test_operator",
                          "file_descriptor", "regex", "special_variable_name"})
_STATEMENTS = frozenset(
    {"command", "redirected_statement", "pipeline", "list", "subshell", "compound_statement",
     "negated_command", "test_command", "declaration_command", "unset_command",
     "variable_assignment", "variable_assignments", "if_statement", "while_statement",
     "for_statement", "c_style_for_statement", "case_statement", "function_definition"}
)
#: nodes whose statement children form a sequence joined by ';', '&' or newlines
_CONTAINERS = frozenset(
    {"program", "do_group", "else_clause", "elif_clause", "case_item", "if_statement",
     "while_statement", "for_statement", "c_style_for_statement", "case_statement",
     "function_definition", "ERROR"}
)
_SEQ_SEPARATORS = frozenset({";", ";;", ";&", ";;&", "\n"})
_REDIRECTS = frozenset({"file_redirect", "herestring_redirect", "heredoc_redirect"})
_DECLARATIONS = frozenset({"declaration_command", "unset_command"})

# continuation bytes of UTF-8 count 0, every other byte starts a character and counts 1
_CHAR_START = bytes(0 if 0x80 <= b < 0xC0 else 1 for b in range(256))
_BLANK = bytes(10 if b == 10 else 32 for b in range(256))


class _Src:
    """One piece of shell text that gets parsed: the line itself or a nested string.

    Offsets into ``text`` are mapped to the original line by ``base`` (identity + offset),
    ``omap`` (one original offset per character plus an end sentinel) or ``fixed`` (every span is
    that span: the mapping was not feasible).
    """

    __slots__ = ("text", "data", "b2c", "base", "omap", "fixed", "heredocs", "tree", "label")

    def __init__(self, text: str, base: int = 0, omap: list[int] | None = None,
                 fixed: tuple[int, int] | None = None, label: str = "") -> None:
        self.text = text
        self.base = base
        self.omap = omap
        self.fixed = fixed
        self.label = label
        self.data = b""
        self.b2c: list[int] | None = None
        self.heredocs: dict[int, _Heredoc] = {}
        self.tree: Any = None

    def span(self, node: Any) -> tuple[int, int]:
        b2c = self.b2c
        if b2c is None:
            return node.start_byte, node.end_byte
        return b2c[node.start_byte], b2c[node.end_byte]

    def cpos(self, byte: int) -> int:
        return byte if self.b2c is None else self.b2c[byte]

    def orig(self, cs: int, ce: int) -> tuple[int, int]:
        if self.fixed is not None:
            return self.fixed
        om = self.omap
        if om is None:
            return self.base + cs, self.base + ce
        return om[cs], (om[ce - 1] + 1 if ce > cs else om[cs])

    def sub(self, cs: int, ce: int, label: str) -> _Src:
        """A source for the verbatim slice ``text[cs:ce]``."""
        text = self.text[cs:ce]
        if self.fixed is not None:
            return _Src(text, fixed=self.fixed, label=label)
        if self.omap is None:
            return _Src(text, base=self.base + cs, label=label)
        return _Src(text, omap=self.omap[cs:ce + 1], label=label)

    def derive(self, text: str, pm: list[int], label: str) -> _Src:
        """A source for ``text`` whose character i came from ``self.text[pm[i]]``."""
        if self.fixed is not None:
            return _Src(text, fixed=self.fixed, label=label)
        n = len(pm)
        if n == 0:
            return _Src(text, fixed=self.orig(0, 0), label=label)
        first = pm[0]
        if pm[-1] - first == n - 1 and self.text[first:first + n] == text:
            return self.sub(first, first + n, label)  # verbatim slice: no quotes/escapes inside
        end = pm[-1] + 1
        om = self.omap
        if om is None:
            b = self.base
            omap = [b + p for p in pm]
            omap.append(b + end)
        else:
            omap = [om[p] for p in pm]
            omap.append(om[end])
        return _Src(text, omap=omap, label=label)


class _Heredoc(NamedTuple):
    redirect: str  # '<<EOF', "<<'EOF'", '<<-EOF'
    body_start: int  # char offsets of the raw body in the source text
    body_end: int
    strip_tabs: bool
    quoted: bool
    body_node: Any  # heredoc_body node of the first parse (for $(...) in unquoted bodies)


def _load(src: _Src) -> None:
    """Parse ``src.text``; heredocs are blanked out and parsed again (see below)."""
    text = src.text
    data = text.encode("utf-8", "surrogatepass")
    src.data = data
    if len(data) != len(text):
        src.b2c = list(accumulate(data.translate(_CHAR_START), initial=0))
    tree = _ts_parse(data)
    if b"<<" in data:
        # tree-sitter-bash attaches whatever follows ``<<EOF`` on the same line (``| bash``,
        # ``> file; next``) to the heredoc node, sometimes as garbage. So: record each well-formed
        # heredoc, replace ``<<EOF`` by a same-length ``<____`` redirect and blank the body (keeping
        # newlines and byte offsets), then parse again: the line now parses like any other and the
        # placeholder redirect is looked up by offset.
        found = _find_heredocs(tree.root_node)
        if found:
            buf = bytearray(data)
            for node in found:
                h = _neutralize(node, src, buf)
                if h is not None:
                    src.heredocs[h[0]] = h[1]
            if src.heredocs:
                tree = _ts_parse(bytes(buf))
    src.tree = tree


def _find_heredocs(root: Any) -> list[Any]:
    out = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "heredoc_redirect":
            out.append(node)
            continue
        if node.child_count:
            stack.extend(node.children)
    return out


def _neutralize(node: Any, src: _Src, buf: bytearray) -> tuple[int, _Heredoc] | None:
    op = start = end = body = None
    before_body = node.start_byte
    for ch in node.children:
        t = ch.type
        if t in ("<<", "<<-") and op is None:
            op = ch
        elif t == "heredoc_start":
            start = ch
        elif t == "heredoc_end":
            end = ch
        elif t == "heredoc_body":
            body = ch
        if t not in ("heredoc_body", "heredoc_end"):
            before_body = max(before_body, ch.end_byte)
    if op is None or start is None or end is None or end.is_missing or start.is_missing:
        return None
    data = src.data
    nl = data.find(b"\n", before_body)
    if nl < 0 or nl + 1 > end.start_byte or start.end_byte <= op.start_byte:
        return None
    body_start = nl + 1
    a, b = op.start_byte, start.end_byte
    buf[a:b] = b"<" + b"_" * (b - a - 1)
    buf[body_start:end.end_byte] = bytes(buf[body_start:end.end_byte]).translate(_BLANK)
    text = src.text
    oc, sc = src.cpos(a), src.cpos(b)
    delim = text[src.cpos(start.start_byte):sc]
    heredoc = _Heredoc(
        redirect="".join(text[oc:sc].split()),
        body_start=src.cpos(body_start),
        body_end=src.cpos(end.start_byte),
        strip_tabs=op.type == "<<-",
        quoted=any(c in delim for c in "'\"\\"),
        body_node=body,
    )
    return a + 1, heredoc


def _describe_error(root: Any, src: _Src) -> str:
    """A short reason for the first ERROR or MISSING node: where it is and what went wrong."""
    node = root
    while True:
        nxt = None
        for ch in node.children:
            if ch.is_missing or ch.is_error:
                nxt = ch
                break
            if ch.has_error:
                nxt = ch
                break
        if nxt is None:
            break
        node = nxt
        if node.is_missing or node.is_error:
            break
    if not (node.is_missing or node.is_error):
        return "syntax error"
    text = src.text
    cs, ce = src.span(node)
    line = text.count("\n", 0, cs) + 1
    col = cs - (text.rfind("\n", 0, cs) + 1) + 1
    where = f"near line {line}, column {col}"
    if node.is_missing:
        what = f"missing {node.type!r}" if not node.is_named else f"missing {node.type}"
    else:
        leaf = node
        while leaf.child_count:
            leaf = leaf.children[0]
        ls, le = src.span(leaf)
        tok = text[ls:le] or text[cs:ce]
        if tok[:1] in ("'", '"', "`") and ce >= len(text.rstrip()):
            what = "unterminated quoted string"
        elif tok in ("<<", "<<-"):
            what = "unterminated heredoc"
        else:
            what = f"unexpected {tok[:20]!r}" if tok else "unexpected end of input"
    return f"syntax error {where}: {what}"


# --------------------------------------------------------------------------------------------
# words: quote removal with a position map

_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
                "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "?": "?"}
_DQ_ESCAPABLE = frozenset('$`"\\\n')
_HEX = frozenset("0123456789abcdefABCDEF")


def _lit(text: str, a: int, b: int, buf: list[str], pm: list[int] | None) -> None:
    if b > a:
        buf.append(text[a:b])
        if pm is not None:
            pm.extend(range(a, b))


def _unescape(text: str, a: int, b: int, buf: list[str], pm: list[int] | None,
              escapable: frozenset[str] | None) -> None:
    """Backslash removal: unquoted (``escapable`` None: any char) or inside double quotes."""
    if text.find("\\", a, b) < 0:
        _lit(text, a, b, buf, pm)
        return
    i = a
    while i < b:
        c = text[i]
        if c == "\\" and i + 1 < b:
            n = text[i + 1]
            if n == "\n":
                i += 2
                continue
            if escapable is None or n in escapable:
                buf.append(n)
                if pm is not None:
                    pm.append(i + 1)
                i += 2
                continue
        buf.append(c)
        if pm is not None:
            pm.append(i)
        i += 1


def _ansi_c(text: str, a: int, b: int, buf: list[str], pm: list[int] | None) -> None:
    i = a
    while i < b:
        c = text[i]
        if c != "\\" or i + 1 >= b:
            buf.append(c)
            if pm is not None:
                pm.append(i)
            i += 1
            continue
        n = text[i + 1]
        j = i + 2
        out: str
        if n in _ANSI_SIMPLE:
            out = _ANSI_SIMPLE[n]
        elif n in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[n]
            k = j
            while k < b and k - j < width and text[k] in _HEX:
                k += 1
            try:
                out = chr(int(text[j:k], 16)) if k > j else "\\" + n
            except (ValueError, OverflowError):
                out = text[i:k]
            j = k
        elif "0" <= n <= "7":
            k = i + 1
            while k < b and k - i - 1 < 3 and "0" <= text[k] <= "7":
                k += 1
            out = chr(int(text[i + 1:k], 8) & 0xFF)
            j = k
        elif n == "c" and j < b:
            out = chr(ord(text[j]) & 0x1F)
            j += 1
        else:
            out = "\\" + n
        buf.append(out)
        if pm is not None:
            pm.extend([i] * len(out))
        i = j


class _W:
    """A word: char span in its source, value (quotes removed; expansions kept verbatim), raw
    text, whether it contains an expansion, and its node (None for recovered words)."""

    __slots__ = ("s", "e", "value", "raw", "exp", "node")

    def __init__(self, s: int, e: int, value: str, raw: str, exp: bool, node: Any) -> None:
        self.s = s
        self.e = e
        self.value = value
        self.raw = raw
        self.exp = exp
        self.node = node

    @property
    def disp(self) -> str:
        return self.raw if self.exp else self.value


def _render(node: Any, src: _Src, buf: list[str], pm: list[int] | None) -> bool:
    """Append the word's value to ``buf`` (and source positions to ``pm``); True if it holds an
    expansion (whose text is copied verbatim)."""
    t = node.type
    text = src.text
    cs, ce = src.span(node)
    if t in _PLAIN_WORDS:
        _unescape(text, cs, ce, buf, pm, None)
        return False
    if t == "raw_string":
        _lit(text, cs + 1, max(cs + 1, ce - 1), buf, pm)
        return False
    if t == "string" or t == "translated_string":
        start = cs + (2 if t == "translated_string" else 1)
        end = ce - 1 if ce - 1 >= start and text[ce - 1] == '"' else ce
        has = False
        pos = start
        for ch in node.children:
            if ch.type in _EXPANSIONS:
                a, b = src.span(ch)
                if a < pos:
                    continue
                _unescape(text, pos, a, buf, pm, _DQ_ESCAPABLE)
                _lit(text, a, b, buf, pm)
                pos = b
                has = True
        _unescape(text, pos, max(pos, end), buf, pm, _DQ_ESCAPABLE)
        return has
    if t == "ansi_c_string":
        _ansi_c(text, cs + 2, max(cs + 2, ce - 1), buf, pm)
        return False
    if t == "concatenation" or t == "variable_assignment":
        has = False
        pos = cs
        for ch in node.children:
            a, b = src.span(ch)
            if a < pos:
                continue
            if a > pos:
                _unescape(text, pos, a, buf, pm, None)
            if ch.is_named:
                has = _render(ch, src, buf, pm) or has
            else:
                _lit(text, a, b, buf, pm)
            pos = b
        if pos < ce:
            _unescape(text, pos, ce, buf, pm, None)
        return has
    _lit(text, cs, ce, buf, pm)
    return True


def _word(node: Any, src: _Src) -> _W:
    b2c = src.b2c
    if b2c is None:
        cs, ce = node.start_byte, node.end_byte
    else:
        cs, ce = b2c[node.start_byte], b2c[node.end_byte]
    raw = src.text[cs:ce]
    if node.type in _PLAIN_WORDS and "\\" not in raw:
        return _W(cs, ce, raw, raw, False, node)
    buf: list[str] = []
    exp = _render(node, src, buf, None)
    return _W(cs, ce, "".join(buf), raw, exp, node)


def _word_text_map(w: _W, src: _Src) -> tuple[str, list[int]]:
    """The word's value with one source position per character."""
    buf: list[str] = []
    pm: list[int] = []
    if w.node is None:
        _lit(src.text, w.s, w.e, buf, pm)
    else:
        _render(w.node, src, buf, pm)
    text = "".join(buf)
    if len(pm) != len(text):  # multi-char output from one escape etc.: keep lengths aligned
        pm = (pm + [pm[-1] if pm else w.s] * len(text))[: len(text)]
    return text, pm


def _basename(w: _W) -> tuple[str, str]:
    """(program, path) for the program word."""
    v = w.value
    if not w.exp:
        return (v.rsplit("/", 1)[-1] or v), v
    k = v.rfind("/")
    if k >= 0 and not any(c in v[k:] for c in ")}`"):
        return (v[k + 1:] or v), w.raw
    return v, w.raw


def _skip_options(vals: list[str], k: int, spec: _Spec) -> int | None:
    """Index of the wrapped command in ``vals`` from ``k`` on, None if there is none."""
    n = len(vals)
    while k < n:
        v = vals[k]
        if v == "--":
            k += 1
            break
        if len(v) > 1 and v[0] == "-":
            if v[1] == "-":
                k += 2 if ("=" not in v and v[2:] in spec.long) else 1
                continue
            k += 1
            for ci in range(1, len(v)):
                c = v[ci]
                if c in spec.noexec:
                    return None
                if c in spec.short:
                    if ci == len(v) - 1:
                        k += 1
                    break
            continue
        if spec.assigns and _is_assignment(v):
            k += 1
            continue
        break
    k += spec.npos
    return k if k < n else None


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


def _is_assignment(v: str) -> bool:
    return _ASSIGNMENT.match(v) is not None


def _shell_mode(vals: list[str]) -> tuple[int | None, bool]:
    """For a shell's args: (index of the -c command string or None, reads its script from stdin)."""
    n = len(vals)
    k = 0
    has_c = has_s = False
    while k < n:
        v = vals[k]
        if v in ("-", "--"):
            k += 1
            break
        if v.startswith("--"):
            k += 2 if v in ("--rcfile", "--init-file") else 1
            continue
        if len(v) > 1 and v[0] in "-+":
            for c in v[1:]:
                if c == "c" and v[0] == "-":
                    has_c = True
                elif c == "s":
                    has_s = True
                elif c in "oO":
                    k += 1
            k += 1
            continue
        break
    if has_c:
        return (k if k < n else None), False
    return None, has_s or k >= n


def _interpreter_code(prog: str, vals: list[str]) -> tuple[str | None, bool]:
    """(inline program text, reads the program from stdin) for an interpreter's args."""
    n = len(vals)
    if prog.startswith(("python", "pypy")):
        k = 0
        while k < n:
            v = vals[k]
            if v == "-":
                return None, True
            if v == "--":
                return None, k + 1 >= n
            if v.startswith("--"):
                k += 1
                continue
            if len(v) > 1 and v[0] == "-":
                for j in range(1, len(v)):
                    c = v[j]
                    if c == "c":
                        if j + 1 < len(v):
                            return v[j + 1:], False
                        return (vals[k + 1] if k + 1 < n else None), False
                    if c == "m":
                        return None, False
                    if c in "WX":
                        if j + 1 == len(v):
                            k += 1
                        break
                k += 1
                continue
            return None, False
        return None, True
    if prog in ("perl", "ruby", "lua", "Rscript", "node", "nodejs", "php"):
        if prog in ("node", "nodejs"):
            code_opts, arg_opts, attached = "ep", "r", ""
        elif prog == "php":
            code_opts, arg_opts, attached = "r", "fdcz", ""
        elif prog == "perl":
            code_opts, arg_opts, attached = "eE", "", "IMmidxDCF"
        elif prog == "ruby":
            code_opts, arg_opts, attached = "e", "rI", "CEFixKTW"
        else:  # lua, Rscript
            code_opts, arg_opts, attached = "e", "l", ""
        parts: list[str] = []
        k = 0
        while k < n:
            v = vals[k]
            if v == "-":
                return ("\n".join(parts) or None), not parts
            if v == "--":
                k += 1
                break
            if v in ("--eval", "--print") and prog in ("node", "nodejs"):
                if k + 1 < n:
                    parts.append(vals[k + 1])
                k += 2
                continue
            if v.startswith("--"):
                if v.startswith(("--eval=", "--print=")) and prog in ("node", "nodejs"):
                    parts.append(v.split("=", 1)[1])
                k += 1
                continue
            if len(v) > 1 and v[0] == "-":
                k += 1
                for j in range(1, len(v)):
                    c = v[j]
                    if c in code_opts:
                        if j + 1 < len(v) and prog in ("perl", "ruby"):
                            parts.append(v[j + 1:])
                        elif k < n:
                            parts.append(vals[k])
                            k += 1
                        break
                    if c in arg_opts:
                        if j + 1 == len(v):
                            k += 1
                        break
                    if c in attached:
                        break
                continue
            break
        if parts:
            return "\n".join(parts), False
        return None, k >= n
    return None, False


# --------------------------------------------------------------------------------------------
# the walker


class _Fr:
    """Where commands found under a node go: context, depth, parent, the operator joining the
    first of them to what came before, background, inherited privilege, pipeline state."""

    __slots__ = ("ctx", "depth", "parent", "op", "bg", "sudo", "pipe")

    def __init__(self, ctx: str, depth: int, parent: int | None, op: str | None, bg: bool,
                 sudo: bool, pipe: list[Any] | None = None) -> None:
        self.ctx = ctx
        self.depth = depth
        self.parent = parent
        self.op = op
        self.bg = bg
        self.sudo = sudo
        self.pipe = pipe

    def but(self, op: str | None, bg: bool | None = None, pipe: Any = False,
            ctx: str | None = None) -> _Fr:
        return _Fr(ctx or self.ctx, self.depth, self.parent, op, self.bg if bg is None else bg,
                   self.sudo, self.pipe if pipe is False else pipe)


class _Stdin(NamedTuple):
    kind: str  # 'heredoc' | 'herestring' | 'echo'
    body: str  # what the command reads (tabs stripped for <<-)
    src: _Src  # the body as a source to parse as commands
    node: Any = None  # unquoted heredoc body of the first parse: its $(...) run in this shell


class _Walker:
    def __init__(self) -> None:
        self.out: list[SimpleCommand] = []
        self.error: str | None = None
        self.stack: list[tuple[Any, ...]] = []

    # -- bookkeeping -------------------------------------------------------------------------

    def fail(self, msg: str) -> None:
        if self.error is None:
            self.error = msg

    def child_frame(self, ctx: str, depth: int, parent: int | None, bg: bool,
                    sudo: bool) -> _Fr | None:
        if depth > MAX_DEPTH:
            self.fail("nesting too deep")
            return None
        return _Fr(ctx, depth, parent, None, bg, sudo)

    def run(self) -> None:
        """Process the task stack (explicit, so deep trees cannot exhaust Python's stack)."""
        stack = self.stack
        while stack:
            task = stack.pop()
            kind = task[0]
            if kind == "st":  # a statement node
                self.statement(task[1], task[2], task[3], task[4])
            elif kind == "ct":  # a node whose children are statements in sequence
                self.container(task[1], task[2], task[3])
            elif kind == "sc":  # a non-statement node that may hold $(...)
                self.scan(task[1], task[2], task[3])
            elif kind == "em":  # a command given as words (what xargs / find -exec run)
                self.finish(task[1], [], None, task[2], task[3], task[4], [], scan=False)
            else:  # "ns": a nested source (bash -c string, eval, heredoc script) to parse
                self.nested(task[1], task[2])

    def nested(self, src: _Src, fr: _Fr) -> None:
        _load(src)
        root = src.tree.root_node
        if root.has_error:
            msg = _describe_error(root, src)
            if src.label:
                msg = msg.replace("syntax error", f"syntax error in {src.label}", 1)
            self.fail(msg)
        self.container(root, src, fr)

    def push_sorted(self, items: list[tuple[int, tuple[Any, ...]]]) -> None:
        if len(items) > 1:
            items.sort(key=lambda it: it[0])
        for _, task in reversed(items):
            self.stack.append(task)

    # -- structure ---------------------------------------------------------------------------

    def container(self, node: Any, src: _Src, fr: _Fr) -> None:
        """Statements in sequence (``;``, ``&``, newline); other named children are scanned."""
        items: list[list[Any]] = []  # [kind, node, op, bg]
        sep: str | None = None
        fn_body = node.type == "function_definition"
        c_for = node.type == "c_style_for_statement"
        has_prev = False
        for ch in node.children:
            t = ch.type
            if c_for and t != "do_group" and t != "compound_statement":
                if ch.is_named:  # ``for ((i=0; i<n; i++))``: expressions, not statements
                    items.append(["sc", ch, None, False])
                continue
            if not ch.is_named:
                if t == "&":
                    if items and items[-1][0] != "sc":
                        items[-1][3] = True
                    sep = "&"
                elif t in _SEQ_SEPARATORS and sep is None:
                    sep = ";"
                continue
            if t == "comment":
                continue
            if t in _STATEMENTS and not (fn_body and t in ("compound_statement", "subshell")):
                kind = "st"
            elif t in _CONTAINERS or t == "compound_statement" or t == "subshell":
                kind = "ct"
            else:
                items.append(["sc", ch, None, False])
                continue
            op = (sep or ";") if has_prev else fr.op
            items.append([kind, ch, op, False])
            has_prev = True
            sep = None
        push = self.stack.append
        for kind, ch, op, bg in reversed(items):
            if kind == "sc":
                push(("sc", ch, src, fr))
            elif kind == "st":
                push(("st", ch, src, fr.but(op, fr.bg or bg), None))
            else:
                push(("ct", ch, src, fr.but(op, fr.bg or bg)))

    def statement(self, node: Any, src: _Src, fr: _Fr, redirs: list[Any] | None) -> None:
        t = node.type
        if t == "command":
            self.command(node, redirs or [], src, fr)
        elif t == "redirected_statement":
            body = None
            rnodes = []
            others = []
            for ch in node.children:
                if ch.type in _REDIRECTS:
                    rnodes.append(ch)
                elif ch.is_named and body is None and ch.type != "ERROR":
                    body = ch
                elif ch.is_named:
                    others.append(ch)
            rnodes.extend(redirs or ())
            for o in reversed(others):
                self.stack.append(("sc", o, src, fr))
            if body is None:
                for r in reversed(rnodes):
                    self.stack.append(("sc", r, src, fr))
            elif body.type in ("command", "pipeline", "list", "redirected_statement",
                               "negated_command"):
                self.stack.append(("st", body, src, fr, rnodes))
            else:
                for r in reversed(rnodes):
                    self.stack.append(("sc", r, src, fr))
                self.stack.append(("st", body, src, fr, None))
        elif t == "pipeline":
            ctx = "pipeline" if fr.ctx == "top" else fr.ctx
            state: list[Any] = [None]
            members = [ch for ch in node.named_children if ch.type != "comment"]
            tasks = []
            for i, ch in enumerate(members):
                mfr = fr.but(fr.op if i == 0 else "|", pipe=state, ctx=ctx)
                last = redirs if i == len(members) - 1 else None
                if ch.type in _STATEMENTS:
                    tasks.append(("st", ch, src, mfr, last))
                else:
                    tasks.append(("ct", ch, src, mfr))
            self.stack.extend(reversed(tasks))
        elif t == "list":
            flat = []
            work = [node]
            while work:
                n = work.pop()
                if n.type == "list":
                    work.extend(reversed(n.children))
                else:
                    flat.append(n)
            tasks = []
            pending: str | None = None
            first = True
            for ch in flat:
                if not ch.is_named:
                    if ch.type in ("&&", "||"):
                        pending = ch.type
                    continue
                if ch.type == "comment":
                    continue
                op = fr.op if first else (pending or ";")
                kind = "st" if ch.type in _STATEMENTS else "ct"
                tasks.append([kind, ch, fr.but(op)])
                first = False
                pending = None
            for i, (kind, ch, cfr) in enumerate(reversed(tasks)):
                if kind == "st":
                    self.stack.append(("st", ch, src, cfr, redirs if i == 0 else None))
                else:
                    self.stack.append(("ct", ch, src, cfr))
        elif t == "subshell" or t == "compound_statement":
            cfr = self.child_frame("subshell", fr.depth + 1, fr.parent, fr.bg, fr.sudo)
            if cfr is not None:
                cfr.op = fr.op
                self.container(node, src, cfr)
        elif t == "negated_command":
            for ch in reversed(node.named_children):
                if ch.type in _STATEMENTS:
                    self.stack.append(("st", ch, src, fr, redirs))
                else:
                    self.stack.append(("sc", ch, src, fr))
        elif t == "test_command":
            self.test_command(node, src, fr)
        elif t in _DECLARATIONS:
            self.declaration(node, src, fr)
        elif t in ("variable_assignment", "variable_assignments"):
            self.stack.append(("sc", node, src, fr))
        else:
            self.container(node, src, fr)

    def scan(self, node: Any, src: _Src, fr: _Fr, parent: int | None = None) -> None:
        """Find ``$(...)``/``<(...)`` under a non-statement node and walk them as substitutions."""
        found = []
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in _SUBSTITUTIONS:
                found.append(n)
                continue
            if n.child_count:
                stack.extend(reversed(n.children))
        if not found:
            return
        sfr = self.child_frame("substitution", fr.depth + 1,
                               fr.parent if parent is None else parent, fr.bg, fr.sudo)
        if sfr is None:
            return
        for n in reversed(found):
            self.stack.append(("ct", n, src, sfr))

    # -- simple commands ---------------------------------------------------------------------

    def row(self, program: str | None, path: str | None, argv: list[str], src: _Src, fr: _Fr,
            cs: int, ce: int, wrappers: list[str], sudo: bool, redirects: list[str],
            heredoc: str | None) -> SimpleCommand:
        s, e = src.orig(cs, ce)
        row = SimpleCommand(
            idx=len(self.out), program=program, path=path, argv=argv, wrappers=wrappers,
            sudo=sudo, background=fr.bg, operator=fr.op, context=fr.ctx, parent_idx=fr.parent,
            depth=fr.depth, redirects=redirects, heredoc=heredoc, text=src.text[cs:ce],
            span_start=s, span_end=e,
        )
        self.out.append(row)
        return row

    def test_command(self, node: Any, src: _Src, fr: _Fr) -> None:
        cs, ce = src.span(node)
        children = node.children
        prog = children[0].type if children and not children[0].is_named else "["
        argv: list[str] = []
        stack = list(reversed(children[1:-1] if len(children) > 1 else []))
        while stack:
            n = stack.pop()
            if n.type in ("binary_expression", "unary_expression", "parenthesized_expression",
                          "negated_expression", "ternary_expression", "postfix_expression"):
                stack.extend(reversed(n.children))
            elif not n.is_named:
                a, b = src.span(n)
                argv.append(src.text[a:b])
            else:
                argv.append(_word(n, src).disp)
        if fr.pipe is not None:
            fr.pipe[0] = None
        row = self.row(prog, prog, argv, src, fr, cs, ce, [], fr.sudo, [], None)
        self.scan(node, src, fr, parent=row.idx)

    def declaration(self, node: Any, src: _Src, fr: _Fr) -> None:
        cs, ce = src.span(node)
        prog = node.children[0].type if node.children else node.type
        words = [_word(ch, src) for ch in node.named_children if ch.type != "comment"]
        if fr.pipe is not None:
            fr.pipe[0] = None
        row = self.row(prog, prog, [w.disp for w in words], src, fr, cs, ce, [], fr.sudo, [], None)
        self.scan(node, src, fr, parent=row.idx)

    def command(self, node: Any, redirs: list[Any], src: _Src, fr: _Fr) -> None:
        words: list[_W] = []
        assigns: list[Any] = []
        rnodes: list[Any] = []
        others: list[Any] = []
        named = False
        children = node.children
        for ch in children:
            t = ch.type
            if t == "command_name":
                inner = ch.named_children
                w = inner[0] if inner else ch
                if w.is_missing or w.start_byte == w.end_byte:
                    continue
                words.append(_word(w, src))
                named = True
            elif t == "variable_assignment":
                assigns.append(ch)
            elif t in _REDIRECTS:
                rnodes.append(ch)
            elif ch.is_named:
                if t == "ERROR" or t == "comment" or not named:
                    others.append(ch)
                else:
                    words.append(_word(ch, src))
        rnodes.extend(redirs)
        if not named:
            if fr.pipe is not None:
                fr.pipe[0] = None
            for n in reversed(assigns + rnodes + others + [w.node for w in words]):
                self.stack.append(("sc", n, src, fr))
            return

        resort = False
        if rnodes:
            # tree-sitter-bash drops a lone word (typically ``-``) right before some redirections
            # (``python3 - 2>&1``, ``cat - <<EOF``); recover such words from the gaps between parts
            parts = children if not redirs else [*children, *redirs]
            data = src.data
            prev_end = parts[0].end_byte
            for p in parts[1:]:
                sb = p.start_byte
                if sb > prev_end + 1:
                    gap = data[prev_end:sb]
                    if gap.strip() and gap.replace(b"\\\n", b"").strip():
                        self.recover_words(gap, prev_end, src, words)
                        resort = True
                prev_end = max(prev_end, p.end_byte)

        redirects: list[str] = []
        stdin: _Stdin | None = None
        scans: list[Any] = list(assigns) + others
        text = src.text
        for r in rnodes:
            t = r.type
            if t == "file_redirect":
                fd = op = ""
                dests = []
                for ch in r.children:
                    if ch.type == "file_descriptor":
                        a, b = src.span(ch)
                        fd = text[a:b]
                    elif not ch.is_named:
                        op += ch.type
                    elif ch.type != "ERROR":
                        dests.append(ch)
                h = src.heredocs.get(dests[0].start_byte) if dests else None
                if h is not None:
                    redirects.append(fd + h.redirect)
                    body = text[h.body_start:h.body_end]
                    if h.strip_tabs:
                        body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
                    stdin = _Stdin("heredoc", body, src.sub(h.body_start, h.body_end, "heredoc"),
                                   None if h.quoted else h.body_node)
                    continue
                if dests:
                    d = _word(dests[0], src)
                    redirects.append(fd + op + d.disp)
                    if d.exp:
                        scans.append(dests[0])
                    if len(dests) > 1:  # ``echo a >f b c``: b and c are arguments of echo
                        words.extend(_word(x, src) for x in dests[1:])
                        resort = True
                else:
                    redirects.append(fd + op)
            elif t == "herestring_redirect":
                fd = ""
                wnode = None
                for ch in r.children:
                    if ch.type == "file_descriptor":
                        a, b = src.span(ch)
                        fd = text[a:b]
                    elif ch.is_named and ch.type != "ERROR":
                        wnode = ch
                if wnode is None:
                    redirects.append(fd + "<<<")
                    continue
                w = _word(wnode, src)
                redirects.append(fd + "<<<" + w.raw)
                if w.exp:
                    scans.append(wnode)
                body, pm = _word_text_map(w, src)
                stdin = _Stdin("herestring", body, src.derive(body, pm, "herestring"))
            else:  # a heredoc tree-sitter could not delimit (e.g. unterminated)
                a, b = src.span(r)
                start = body_node = None
                for ch in r.children:
                    if ch.type == "heredoc_start":
                        start = ch
                    elif ch.type == "heredoc_body":
                        body_node = ch
                    elif ch.is_named and ch.type != "heredoc_end":
                        scans.append(ch)
                sa, sb2 = src.span(start) if start is not None else (a, a)
                redirects.append("".join(text[a:sb2].split()) or "<<")
                if body_node is not None:
                    ba, bb = src.span(body_node)
                    stdin = _Stdin("heredoc", text[ba:bb], src.sub(ba, bb, "heredoc"))
        if resort:
            words.sort(key=lambda w: w.s)
        if rnodes:
            sb = min([children[0].start_byte] + [r.start_byte for r in rnodes])
            eb = max([node.end_byte] + [r.end_byte for r in rnodes])
            cs, ce = src.cpos(sb), src.cpos(eb)
        else:
            cs, ce = src.span(node)
        self.finish(words, redirects, stdin, src, fr, (cs, ce), scans, scan=True)

    def recover_words(self, gap: bytes, start_byte: int, src: _Src, words: list[_W]) -> None:
        pos = 0
        for tok in gap.split():
            if tok == b"\\":
                pos = gap.index(tok, pos) + 1
                continue
            i = gap.index(tok, pos)
            pos = i + len(tok)
            a, b = src.cpos(start_byte + i), src.cpos(start_byte + pos)
            value = src.text[a:b]
            words.append(_W(a, b, value, value, False, None))

    def launch(self, row: SimpleCommand, nested: list[Any], ctx: str, nsrc: _Src,
               pos: int) -> None:
        """Queue a nested source (bash -c string, eval, stdin script) run by ``row``."""
        cfr = self.child_frame(ctx, row.depth + 1, row.idx, row.background, row.sudo)
        if cfr is not None:
            nested.append((pos, ("ns", nsrc, cfr)))

    def launch_words(self, row: SimpleCommand, nested: list[Any], ws: list[_W],
                     src: _Src) -> None:
        """Queue the command that ``row`` (xargs, find -exec) runs, given as words."""
        if not ws:
            return
        cfr = self.child_frame("xargs", row.depth + 1, row.idx, row.background, row.sudo)
        if cfr is not None:
            nested.append((ws[0].s, ("em", ws, src, cfr, (ws[0].s, ws[-1].e))))

    def finish(self, words: list[_W], redirects: list[str], stdin: _Stdin | None, src: _Src,
               fr: _Fr, span: tuple[int, int], scans: list[Any], scan: bool) -> None:
        """Peel wrappers off ``words``, emit the row, queue what it launches."""
        vals = [w.value for w in words]
        i = 0
        wrappers: list[str] = []
        sudo = False
        n = len(words)
        while i < n:
            name = vals[i].rsplit("/", 1)[-1]
            spec = WRAPPERS.get(name)
            if spec is None or words[i].exp:
                break
            j = _skip_options(vals, i + 1, spec)
            if j is None:
                break
            if name == "watch" and j == n - 1 and any(c in _SHELL_META for c in vals[j]):
                break  # ``watch 'ps aux | grep x'``: a shell command line, parsed below
            wrappers.append(name)
            if name in _PRIVILEGED:
                sudo = True
            i = j
        pw = words[i]
        prog, path = _basename(pw)
        args = words[i + 1:]
        argv = [w.raw if w.exp else w.value for w in args]
        avals = vals[i + 1:]
        sudo = sudo or fr.sudo
        prev_feed: _Stdin | None = None
        if fr.pipe is not None:
            prev_feed = fr.pipe[0]
            fr.pipe[0] = None
        cs, ce = span
        row = self.row(prog, path, argv, src, fr, cs, ce, wrappers, sudo, redirects,
                       stdin.body if stdin is not None else None)
        idx = row.idx
        nested: list[tuple[int, tuple[Any, ...]]] = []
        stdin_scanned = False
        skip: set[int] = set()  # word indexes whose $(...) the nested parse reports instead

        launch = self.launch
        if pw.exp:
            pass
        elif prog in SHELLS:
            k, reads_stdin = _shell_mode(avals)
            if k is not None:
                w = args[k]
                body, pm = _word_text_map(w, src)
                launch(row, nested, "bash-c", src.derive(body, pm, f"{prog} -c string"), w.s)
                skip.add(i + 1 + k)
            elif reads_stdin:
                feed = stdin or prev_feed
                if feed is not None:
                    launch(row, nested, "heredoc", feed.src, cs)
                    if feed is stdin:
                        stdin_scanned = True  # the nested parse reports its $(...)
        elif prog == "su":
            for k, v in enumerate(avals):
                if v in ("-c", "--command") and k + 1 < len(avals):
                    w = args[k + 1]
                    body, pm = _word_text_map(w, src)
                    skip.add(i + 2 + k)
                elif v.startswith("--command="):
                    w = args[k]
                    body, pm = _word_text_map(w, src)
                    cut = body.index("=") + 1
                    body, pm = body[cut:], pm[cut:]
                    skip.add(i + 1 + k)
                else:
                    continue
                row.sudo = True  # su -c: the string runs as another user
                launch(row, nested, "bash-c", src.derive(body, pm, "su -c string"), w.s)
                break
        elif prog == "eval":
            if args:
                buf: list[str] = []
                pmap: list[int] = []
                for k, w in enumerate(args):
                    t, pm = _word_text_map(w, src)
                    if k:
                        buf.append(" ")
                        pmap.append(pmap[-1] if pmap else w.s)
                    buf.append(t)
                    pmap.extend(pm)
                    skip.add(i + 1 + k)
                body = "".join(buf)
                launch(row, nested, "eval", src.derive(body, pmap, "eval string"), args[0].s)
        elif prog == "xargs":
            j = _skip_options(avals, 0, _XARGS)
            if j is not None:
                self.launch_words(row, nested, args[j:], src)
        elif prog == "find":
            k = 0
            while k < len(avals):
                if avals[k] in _FIND_EXEC:
                    m = k + 1
                    while m < len(avals) and avals[m] not in (";", "+"):
                        m += 1
                    self.launch_words(row, nested, args[k + 1:m], src)
                    k = m
                k += 1
        elif prog == "watch":
            j = _skip_options(avals, 0, WRAPPERS["watch"])
            if j is not None:
                ws = args[j:]
                if len(ws) == 1:
                    body, pm = _word_text_map(ws[0], src)
                    skip.add(i + 1 + j)
                else:  # watch joins its arguments with spaces and runs them with sh -c
                    body = " ".join(w.value for w in ws)
                    pm = []
                    for w in ws:
                        if pm:
                            pm.append(pm[-1])
                        pm.extend(_word_text_map(w, src)[1])
                    skip.update(range(i + 1 + j, i + 1 + j + len(ws)))
                launch(row, nested, "bash-c", src.derive(body, pm, "watch command"), ws[0].s)
        elif is_interpreter(prog):
            code, reads_stdin = _interpreter_code(prog, avals)
            if code is None and reads_stdin:
                feed = stdin or prev_feed
                if feed is not None:
                    code = feed.body
            row.code = code

        if fr.pipe is not None and stdin is not None and prog == "cat" and not any(
            v != "-" for v in avals
        ):
            fr.pipe[0] = stdin
        elif fr.pipe is not None and prog == "echo" and len(args) == 1 and not args[0].exp:
            body, pm = _word_text_map(args[0], src)
            fr.pipe[0] = _Stdin("echo", body, src.derive(body, pm, "piped script"))

        if scan:
            if stdin is not None and stdin.node is not None and not stdin_scanned:
                scans.append(stdin.node)
            for k, w in enumerate(words):
                if w.exp and w.node is not None and k not in skip:
                    scans.append(w.node)
            found = []
            for node in scans:
                st = [node]
                while st:
                    x = st.pop()
                    if x.type in _SUBSTITUTIONS:
                        found.append(x)
                        continue
                    if x.child_count:
                        st.extend(x.children)
            if found:
                sfr = self.child_frame("substitution", row.depth + 1, idx, row.background, fr.sudo)
                if sfr is not None:
                    for x in found:
                        nested.append((src.cpos(x.start_byte), ("ct", x, src, sfr)))
        if nested:
            self.push_sorted(nested)


def parse(line: str) -> ParsedLine:
    """Every simple command in a shell command line, in source order (pre-order for nesting).

    Never raises: a syntax error is reported in ``ParsedLine.error`` next to whatever commands
    could be recovered; an internal failure gives ``ParsedLine([], "parser failure: ...")``.
    """
    try:
        if not isinstance(line, str):
            line = str(line)
        if not line.strip():
            return ParsedLine([], None)
        walker = _Walker()
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS]
            walker.fail(f"command line too long; parsed first {MAX_LINE_CHARS} characters")
        src = _Src(line)
        top = _Fr("top", 0, None, None, False, False)
        # the top-level source is loaded here so its syntax error wins over nested ones
        _load(src)
        root = src.tree.root_node
        if root.has_error:
            walker.fail(_describe_error(root, src))
        walker.stack.append(("ct", root, src, top))
        walker.run()
        return ParsedLine(walker.out, walker.error)
    except Exception as exc:  # noqa: BLE001 - parse must never raise
        return ParsedLine([], error=f"parser failure: {exc}")
