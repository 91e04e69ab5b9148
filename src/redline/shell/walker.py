"""The tree walk: statements, pipelines, lists and nesting, down to simple commands.

:class:`Walker` runs an explicit task stack (see :class:`.emit.Emitter`) so deep trees cannot
exhaust Python's stack. It decides each command's context, operator, depth and parent; reading a
simple command is :class:`.commands.CommandReader`'s job, emitting its row :class:`.emit.Emitter`'s.
"""

from __future__ import annotations

from typing import Any

from .commands import CommandReader
from .emit import Frame
from .errors import describe_error
from .grammar import CONTAINERS, DECLARATIONS, REDIRECTS, SEQ_SEPARATORS, STATEMENTS
from .source import Source, load


class Walker(CommandReader):
    """Walks a parsed line; ``out`` collects the rows, ``error`` the first error.

    ``deadline`` (a :func:`time.monotonic` value, or None) bounds tree-sitter's time on every
    nested string, as on the line itself.
    """

    deadline: float | None = None

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

    def nested(self, src: Source, fr: Frame) -> None:
        """Parse a nested source and walk it; its syntax error is labelled with its origin."""
        load(src, self.deadline)
        root = src.tree.root_node
        if root.has_error:
            msg = describe_error(root, src)
            if src.label:
                msg = msg.replace("syntax error", f"syntax error in {src.label}", 1)
            self.fail(msg)
        self.container(root, src, fr)

    def container(self, node: Any, src: Source, fr: Frame) -> None:
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
                elif t in SEQ_SEPARATORS and sep is None:
                    sep = ";"
                continue
            if t == "comment":
                continue
            if t in STATEMENTS and not (fn_body and t in ("compound_statement", "subshell")):
                kind = "st"
            elif t in CONTAINERS or t == "compound_statement" or t == "subshell":
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

    def statement(self, node: Any, src: Source, fr: Frame, redirs: list[Any] | None) -> None:
        """One statement: a command, or the structure (pipeline, list, subshell...) around some."""
        t = node.type
        if t == "command":
            self.command(node, redirs or [], src, fr)
        elif t == "redirected_statement":
            body = None
            rnodes = []
            others = []
            for ch in node.children:
                if ch.type in REDIRECTS:
                    rnodes.append(ch)
                elif ch.is_named and body is None and ch.type != "ERROR":
                    body = ch
                elif ch.is_named:
                    others.append(ch)
            rnodes.extend(redirs or ())
            for o in reversed(others):
                self.stack.append(("sc", o, src, fr))
            if body is None:  # ``> file``: the redirections alone (see CommandReader.command)
                self.command(node, redirs or [], src, fr)
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
                if ch.type in STATEMENTS:
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
                kind = "st" if ch.type in STATEMENTS else "ct"
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
                if ch.type in STATEMENTS:
                    self.stack.append(("st", ch, src, fr, redirs))
                else:
                    self.stack.append(("sc", ch, src, fr))
        elif t == "test_command":
            self.test_command(node, src, fr)
        elif t in DECLARATIONS:
            self.declaration(node, src, fr)
        elif t in ("variable_assignment", "variable_assignments"):
            self.stack.append(("sc", node, src, fr))
        else:
            self.container(node, src, fr)
