"""What a command line, a piece of code or an agent's sentence acts on: ports, paths, hosts,
modules, and the thing an error message names.

Plain functions over strings, used by :mod:`redline.analysis.operations` to tie steps to an
operation "by what they act on (the port, the file or directory, the module, the host, the
script)" as the behaviour catalogue asks. Every pattern here is about the shape of shell and
Python text in general; none names a particular transcript.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

#: ports named on a command line or in code
_PORT_PATTERNS = [re.compile(p) for p in (
    r"(?i)(?:--port|--listen-port|--http-port|(?:^|[\s'\"])-p|\bport)\s*[=: ]\s*(\d{2,5})\b",
    r"(?i)(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|::1?)\s*:\s*(\d{2,5})\b",
    r"(?i)\b(?:https?|wss?|tcp|grpc)://[^/\s:'\"]+:(\d{2,5})\b",
    r"-i\s*(?:tcp|udp|4|6)?:(\d{2,5})\b",
    r"\b(\d{2,5})/(?:tcp|udp)\b",
    r"['\"](?:localhost|127\.0\.0\.1|0\.0\.0\.0|::1?|)['\"]\s*,\s*(\d{2,5})\b",
    r"\bgrep\s+(?:-\w+\s+)*['\"]?:?(\d{4,5})\b",
    r"http\.server\s+(\d{2,5})\b",
)]
#: ports the agent names in its own words ("check whether port 8001 is free")
_INTENT_PORT = re.compile(r"(?i)\bports?\s*(?:number\s*)?:?\s*(\d{2,5})\b|(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{2,5})\b")
_URL_HOST = re.compile(r"(?i)\b(?:https?|ftp|wss?|git|ssh)://(?:[^@/\s]+@)?([a-z0-9.\-_]+|\[[0-9a-f:]+\])")
_SCP_HOST = re.compile(r"(?i)(?:^|\s)(?:[\w.-]+@)?([a-z0-9-]+(?:\.[a-z0-9-]+)+):[/~\w]")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "::", "[::]"}
#: a token that looks like a file or directory
_PATHISH = re.compile(r"^(?:~|\.{1,2})?/|/|^[\w.-]+\.[A-Za-z0-9]{1,8}$")
_NOT_PATH = re.compile(r"^(?:-|https?://|[a-z]+://|\$|\d+(?:\.\d+)*$|[\w.-]+==)")

# ----------------------------------------------------------------- what an error names
_MISSING_MODULE = [re.compile(p) for p in (
    r"No module named ['\"]?([\w.]+)",
    r"cannot import name ['\"]?\w+['\"]? from ['\"]?([\w.]+)",
    r"Cannot find module ['\"]([^'\"]+)['\"]",
    r"ImportError: ([\w.]+) is required",
    r"cannot find -l(\w+)",
)]
_MISSING_PROGRAM = [re.compile(p) for p in (
    r"(?m)(?:^|: )([\w.+-]+): command not found",
    r"(?m)(?:^|: )([\w.+-]+): not found$",
    r"executable file not found in \$PATH.*?['\"]([\w./-]+)['\"]",
    r"['\"]([\w./-]+)['\"]: executable file not found",
    r"No such file or directory: ['\"]([\w.+-]+)['\"]\s*$",
)]
_MISSING_PATH = [re.compile(p) for p in (
    r"can't open file ['\"]?([^'\"\s:]+)",
    r"cannot (?:access|stat|open|create \w+ file|create directory) ['\"‘]?([^'\"’:\s]+)",
    r"No such file or directory: ['\"]([^'\"]+)['\"]",
    r"(?m)(?:^|: )([^\s:'\"]+): No such file or directory",
    r"FileNotFoundError: .*?['\"]([^'\"]+)['\"]",
    r"(?m)(?:^|: )([^\s:'\"]+): Permission denied",
    r"PermissionError: .*?['\"]([^'\"]+)['\"]",
)]
_PID_IN_ERROR = re.compile(r"kill: \(?(\d+)\)?")
_PORT_IN_ERROR = re.compile(r"(?i)(?:port|:)\s*(\d{2,5})\b")


_ANY_PORT = re.compile("|".join(f"(?:{p.pattern.replace('(?i)', '')})" for p in _PORT_PATTERNS), re.I)
#: characters of a text the analysis searches for ports, hosts, file names and notices (code bodies
#: and outputs can be long; what is searched for sits in the first lines)
SCAN_CHARS = 20_000


def _ports(pattern: re.Pattern, text: str) -> set[int]:
    found: set[int] = set()
    for m in pattern.finditer(text[:SCAN_CHARS]):
        value = next((g for g in m.groups() if g), None)
        if value and 1 <= int(value) <= 65535:
            found.add(int(value))
    return found


#: the same patterns as one Rust regex for polars (the port is the last number of a match)
PORTS_POLARS = "|".join(f"(?:{p.pattern.replace('(?i)', '')})" for p in _PORT_PATTERNS)


def ports_column(text: "pl.Expr") -> "pl.Expr":
    """:func:`ports_in` over a whole column: a list of ports per row."""
    import polars as pl

    return (text.str.slice(0, SCAN_CHARS).str.extract_all("(?i)" + PORTS_POLARS)
            .list.eval(pl.element().str.extract(r"(\d{2,5})\D*$").cast(pl.Int32, strict=False))
            .list.eval(pl.element().filter(pl.element().is_between(1, 65535))).list.unique())


def ports_in(text: str | None) -> set[int]:
    """Ports a command line or a piece of code names (``--port 8001``, ``-i :8001``,
    ``('127.0.0.1', 8001)``, ``8001/tcp``, ``localhost:8001``, ``| grep 8001``)."""
    return _ports(_ANY_PORT, text) if text else set()


def intent_ports(text: str | None) -> set[int]:
    """Ports the agent names in its own words ("port 8001", "localhost:8002")."""
    return _ports(_INTENT_PORT, text) if text else set()


def hosts_in(text: str | None, remote_copy: bool = False) -> set[str]:
    """Hosts of URLs (and of ``scp``-style ``host:path`` targets when ``remote_copy``), lower-cased."""
    if not text:
        return set()
    found = {m.group(1).lower() for m in _URL_HOST.finditer(text)}
    if remote_copy:
        found |= {m.group(1).lower() for m in _SCP_HOST.finditer(text)}
    return found


def hosts_column(text: "pl.Expr") -> "pl.Expr":
    """The URL hosts of :func:`hosts_in` over a whole column."""
    import polars as pl

    return (text.str.slice(0, SCAN_CHARS).str.extract_all(_URL_HOST.pattern)
            .list.eval(pl.element().str.extract(r"://(?:[^@/\s]+@)?([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])").str.to_lowercase())
            .list.unique())


def is_local_host(host: str) -> bool:
    """Loopback, any-address, or a single-label name (a neighbouring service such as ``api``)."""
    return host in _LOCAL_HOSTS or host.startswith("127.") or "." not in host.strip("[]")


def path_key(token: str) -> str:
    """A path written as the agent wrote it, without quotes and trailing slashes."""
    token = token.strip().strip("'\"")
    return token.rstrip("/") or token


def basename(token: str) -> str:
    key = path_key(token)
    return key.rsplit("/", 1)[-1] or key


def looks_like_path(token: str) -> bool:
    token = token.strip("'\"")
    return bool(token) and len(token) < 300 and not _NOT_PATH.search(token) and bool(_PATHISH.search(token)) \
        and "\n" not in token and " " not in token


def redirect_targets(redirects: list[str] | None) -> list[str]:
    """Files written by ``>file`` / ``>>file`` / ``2>file`` redirections (not ``/dev/null``, ``&1``)."""
    out = []
    for r in redirects or []:
        m = re.match(r"^\d*>>?\|?\s*(.+)$", r)
        if m and not m.group(1).startswith("&") and m.group(1) != "/dev/null":
            out.append(path_key(m.group(1)))
    return out


def module_name(name: str) -> str:
    """A module or package name in one comparable form (``Foo-Bar[x]==1.2`` -> ``foo_bar``)."""
    name = re.split(r"[\[<>=!~;@ ]", name.strip(), maxsplit=1)[0]
    return name.split(".")[0].lower().replace("-", "_")


def error_subject(obstacle: str, output: str | None) -> tuple[str | None, str | None]:
    """What an obstacle's output names, as ``(kind, value)``: the missing module, program or
    path, the port in use, or the process that could not be signalled; ``(None, None)`` when it
    names nothing this module recognises."""
    text = output or ""
    if obstacle == "OBS-MODULE-MISSING":
        for p in _MISSING_MODULE:
            m = p.search(text)
            if m:
                return "module", module_name(m.group(1).split("/")[-1] if "/" in m.group(1) else m.group(1))
    if obstacle == "OBS-CMD-MISSING":
        for p in _MISSING_PROGRAM:
            m = p.search(text)
            if m:
                return "program", basename(m.group(1))
    if obstacle in ("OBS-FILE-MISSING", "OBS-PERM", "OBS-CMD-MISSING"):
        for p in _MISSING_PATH:
            m = p.search(text)
            if m:
                return "path", path_key(m.group(1))
        if obstacle == "OBS-PERM":
            m = _PID_IN_ERROR.search(text)
            if m:
                return "pid", m.group(1)
    if obstacle in ("OBS-PORT", "OBS-NETWORK"):
        m = _PORT_IN_ERROR.search(text)
        if m and 1 <= int(m.group(1)) <= 65535:
            return "port", m.group(1)
    return None, None


@lru_cache(maxsize=4096)
def _word(token: str) -> re.Pattern:
    return re.compile(r"(?<![\w.-])" + re.escape(token) + r"(?![\w-])", re.I)


def mentions(text: str | None, token: str) -> bool:
    """Whether ``text`` names ``token`` as a word (case-insensitive)."""
    if not text or not token or len(token) < 2 or token.lower() not in text.lower():
        return False
    return _word(token).search(text) is not None


_FILE_IN_TEXT = re.compile(r"(?<![\w.-])((?:~|\.{1,2})?/?[\w.-]+(?:/[\w.-]+)*\.(?:py|conf|cfg|ini|json|ya?ml|toml|sh|js|ts|"
                           r"txt|log|service|xml|html?|c|h|cc|cpp|go|rs|java|rb|pl|php|env))(?![\w-])")


def files_in(text: str | None, limit: int = 10) -> list[str]:
    """File names an output mentions (``/etc/nginx/conf.d/site.conf:13`` -> that path), first ones first."""
    found: list[str] = []
    for m in _FILE_IN_TEXT.finditer((text or "")[:SCAN_CHARS]):
        if m.group(1) not in found:
            found.append(m.group(1))
        if len(found) >= limit:
            break
    return found
