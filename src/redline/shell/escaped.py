"""Command lines a transcript stored HTML-escaped, read as the line that ran.

Some recorders escape the text they log (``cat &lt;&lt;EOF &gt; run.sh``, ``a &amp;&amp; b``):
read as it is, such a line runs ``amp``, ``lt`` and ``gt`` and writes no file. A line is taken
as escaped when every ``&`` in it starts an entity (an agent that escapes its ``&&`` may leave
a ``>`` bare) and an entity stands where the shell has an operator (``&amp;&amp;``, ``&lt;&lt;``, ``&gt;&gt;``,
`` &gt; file``, ``2&gt;``, a trailing ``&amp;``); text that merely holds entities inside a word
(``echo '&lt;b&gt;'``, ``curl '...?a=1&amp;b=2'``) is left as it is.
"""

from __future__ import annotations

import re

from .source import Source

_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#39|#x27);")
_CHARS = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "#39": "'", "#x27": "'"}
#: an ``&`` that starts no entity: the line is not escaped
_RAW = re.compile(r"&(?!(amp|lt|gt|quot|apos|#39|#x27);)")
#: an escaped entity where the shell has an operator
_OPERATOR = re.compile(r"&amp;&amp;|&lt;&lt;|&gt;&gt;|(^|\s)\d?&gt;(\s*|&amp;)\S|\s&lt;\s*\S|&amp;\s*$|\|\s*&amp;",
                       re.M)


def html_escaped_source(line: str) -> Source | None:
    """A source of ``line`` unescaped, its offsets mapped to ``line`` (each character an entity
    stood for maps to the entity's ``&``), or None when the line is not escaped."""
    if "&" not in line or _RAW.search(line) or not _OPERATOR.search(line):
        return None
    text: list[str] = []
    omap: list[int] = []
    pos = 0
    for m in _ENTITY.finditer(line):
        text.append(line[pos:m.start()])
        omap.extend(range(pos, m.start()))
        text.append(_CHARS[m.group(1)])
        omap.append(m.start())
        pos = m.end()
    text.append(line[pos:])
    omap.extend(range(pos, len(line)))
    omap.append(len(line))
    return Source("".join(text), omap=omap)
