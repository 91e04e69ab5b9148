"""Reading a program's argv: skip a wrapper's options, find a shell's ``-c`` string or an
interpreter's inline code, and whether the program reads its script from stdin."""

from __future__ import annotations

import re

from .vocabulary import OptionSpec


def skip_options(vals: list[str], k: int, spec: OptionSpec) -> int | None:
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


def shell_mode(vals: list[str]) -> tuple[int | None, bool]:
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


def interpreter_code(prog: str, vals: list[str]) -> tuple[str | None, bool]:
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
