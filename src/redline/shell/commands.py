"""Reading simple command nodes: words, assignments and redirections.

Turns tree-sitter's ``command``, ``test_command`` and declaration nodes into rows (a bare
redirection that writes, ``> file``, is the no-op ``:`` it amounts to). For a
``command`` this means finding its words (including a word tree-sitter-bash drops before some
redirections), describing its redirections, and working out what it reads on stdin (a heredoc,
a herestring); the row itself is emitted by :meth:`.emit.Emitter.finish`.
"""

from __future__ import annotations

from typing import Any

from .emit import Emitter, Frame, Stdin
from .grammar import REDIRECTS
from .source import Source
from .words import Word, read_word, word_text_map


class CommandReader(Emitter):
    """The simple-command half of the walk (the structural half is :class:`.walker.Walker`)."""

    def test_command(self, node: Any, src: Source, fr: Frame) -> None:
        """``[ ... ]`` / ``[[ ... ]]``: a row whose argv is the expression's tokens."""
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
                argv.append(read_word(n, src).disp)
        if fr.pipe is not None:
            fr.pipe[0] = None
        row = self.row(prog, prog, argv, src, fr, cs, ce, [], fr.sudo, [], None)
        self.scan(node, src, fr, parent=row.idx)

    def declaration(self, node: Any, src: Source, fr: Frame) -> None:
        """``declare``/``export``/``local``/``readonly``/``unset``...: one row, no wrappers."""
        cs, ce = src.span(node)
        prog = node.children[0].type if node.children else node.type
        words = [read_word(ch, src) for ch in node.named_children if ch.type != "comment"]
        if fr.pipe is not None:
            fr.pipe[0] = None
        row = self.row(prog, prog, [w.disp for w in words], src, fr, cs, ce, [], fr.sudo, [], None)
        self.scan(node, src, fr, parent=row.idx)

    def command(self, node: Any, redirs: list[Any], src: Source, fr: Frame) -> None:
        """A ``command`` node: its words and redirections, handed to :meth:`finish`.

        ``redirs`` are redirections tree-sitter put on an enclosing ``redirected_statement``
        that belong to this command (``a | b > f`` gives ``b`` the ``> f``). A heredoc
        placeholder left by the pre-pass (:mod:`.heredocs`) becomes the command's stdin; so does
        a herestring.
        """
        words: list[Word] = []
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
                words.append(read_word(w, src))
                named = True
            elif t == "variable_assignment":
                assigns.append(ch)
            elif t in REDIRECTS:
                rnodes.append(ch)
            elif ch.is_named:
                if t == "ERROR" or t == "comment" or not named:
                    others.append(ch)
                else:
                    words.append(read_word(ch, src))
        rnodes.extend(redirs)
        if not named and not words and any(
                r.type == "file_redirect" and any(not ch.is_named and ">" in ch.type for ch in r.children)
                for r in rnodes):
            # ``> file``: a bare redirection that writes runs the shell's no-op, as ``: > file`` does
            at = src.cpos(min(r.start_byte for r in rnodes))
            words = [Word(at, at, ":", ":", False, None)]
            named = True
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
        stdin: Stdin | None = None
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
                    stdin = Stdin("heredoc", body, src.sub(h.body_start, h.body_end, "heredoc"),
                                  None if h.quoted else h.body_node)
                    continue
                if dests:
                    d = read_word(dests[0], src)
                    redirects.append(fd + op + d.disp)
                    if d.exp:
                        scans.append(dests[0])
                    if len(dests) > 1:  # ``echo a >f b c``: b and c are arguments of echo
                        words.extend(read_word(x, src) for x in dests[1:])
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
                w = read_word(wnode, src)
                redirects.append(fd + "<<<" + w.raw)
                if w.exp:
                    scans.append(wnode)
                body, pm = word_text_map(w, src)
                stdin = Stdin("herestring", body, src.derive(body, pm, "herestring"))
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
                _, sb2 = src.span(start) if start is not None else (a, a)
                redirects.append("".join(text[a:sb2].split()) or "<<")
                if body_node is not None:
                    ba, bb = src.span(body_node)
                    stdin = Stdin("heredoc", text[ba:bb], src.sub(ba, bb, "heredoc"))
        if resort:
            words.sort(key=lambda w: w.s)
        if rnodes:
            sb = min([children[0].start_byte] + [r.start_byte for r in rnodes])
            eb = max([node.end_byte] + [r.end_byte for r in rnodes])
            cs, ce = src.cpos(sb), src.cpos(eb)
        else:
            cs, ce = src.span(node)
        self.finish(words, redirects, stdin, src, fr, (cs, ce), scans, scan=True)

    def recover_words(self, gap: bytes, start_byte: int, src: Source,
                      words: list[Word]) -> None:
        """Append the words in ``gap`` (bytes from ``start_byte``) that tree-sitter dropped."""
        pos = 0
        for tok in gap.split():
            if tok == b"\\":
                pos = gap.index(tok, pos) + 1
                continue
            i = gap.index(tok, pos)
            pos = i + len(tok)
            a, b = src.cpos(start_byte + i), src.cpos(start_byte + pos)
            value = src.text[a:b]
            words.append(Word(a, b, value, value, False, None))
