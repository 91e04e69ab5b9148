"""Write the hostile-input corpus: valid transcripts of all 12 formats, and beside them hundreds of
damaged, crafted and special files made from those same transcripts.

The seeds are the project's own test fixtures (``tests/fixtures``), one or more per format. Each
is damaged in every way :mod:`.mutations` knows (truncated at many points, BOMs, invalid UTF-8,
payloads for the report and the terminal in every string field, NaN and Infinity, numbers and
timestamps no type holds, wrong types, deep nesting, huge strings and lines, pathological shell
command lines in place of its commands; for ``.eval`` archives and ``.cast`` recordings, their
own bombs). Special files sit beside them: pipes, links to devices, broken links and link
loops, names that are not UTF-8, a socket, a folder with a transcript's name.

Run ``python -m tests.hostile.generate OUT`` (from a checkout) to write the corpus to OUT and
look at it; the test suite writes it to a temporary folder (``test_hostile_suite.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import mutations as m

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: format -> seed files (relative to tests/fixtures), each read as: doc | lines | text | zip | cast
SEEDS: dict[str, list[tuple[str, str]]] = {
    "fudan-log": [("fudan-log/llama3.1-70b-replication-full.log", "text")],
    "mini-swe-agent": [("mini-swe-agent/swebench-run/output/demo_run/acme__widgets-101/acme__widgets-101.traj.json", "doc"),
                       ("mini-swe-agent/v2-response-api/acme__gadgets-12/acme__gadgets-12.traj.json", "doc")],
    "terminal-bench": [("terminal-bench/2026-01-02__09-58-00/nginx-port-conflict/"
                        "nginx-port-conflict.1-of-1.2026-01-02__09-58-00/sessions/agent.cast", "cast"),
                       ("terminal-bench/2026-03-10__14-20-00/redis-port-conflict/"
                        "redis-port-conflict.1-of-1.2026-03-10__14-20-00/sessions/agent.cast", "cast")],
    "inspect-ai": [("inspect-ai/2025-04-01T12-00-00+00-00_find-flag.json", "doc"),
                   ("inspect-ai/written-by-inspect/deflate.eval", "zip"),
                   ("inspect-ai/written-by-inspect/zstd.eval", "bytes")],
    "swe-agent": [("swe-agent/claude-3-5-sonnet-20241022__SWE-bench_Lite__default__t-0.00__p-0.95__c-2.00__install-1/"
                   "acme__widgets-42.traj", "doc")],
    "openhands-v1": [("openhands-v1/4f1c2b9e8d7a4c3b9a1e0f2d3c4b5a69/events/"
                      "event-00002-2d8b3f40-ae63-4c79-9f40-5b3c8d9eaf12.json", "doc")],
    "openhands": [("openhands/rename_and_serve.json", "doc")],
    "palisade": [("palisade/logs/default/default1/llm_control.log_20260204_142500_000001.jsonl", "lines")],
    "claude-code": [("claude-code/session.jsonl", "lines")],
    "codex": [("codex/rollout-2025-10-20T08-15-00-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl", "lines"),
              ("codex/rollout-2025-05-02-0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b.json", "doc")],
    "otel-genai": [("otel-genai/agent_trace.json", "doc"), ("otel-genai/collector_export.jsonl", "lines")],
    "chat-json": [("chat-json/openai_run.json", "doc"), ("chat-json/conversations.jsonl", "lines")],
}
#: formats whose seeds also get the command lines tree-sitter is slow on (each costs its budget)
TIME_BOMB_FORMATS = ("chat-json", "mini-swe-agent")
#: the seed that gets one 30 MB command (stored cut in events.text, and in events.attrs too)
HUGE_COMMAND_SEED = "chat-json/openai_run.json"
HUGE_COMMAND_CHARS = 30 * 1024**2


@dataclass
class Case:
    """One hostile file: where it is, which format's seed it came from, what was done to it."""

    path: Path
    family: str  # a format name, or "special"
    variant: str


@dataclass
class Corpus:
    root: Path
    cases: list[Case] = field(default_factory=list)
    #: the valid seeds, copied unchanged: each must be ingested as if alone
    good: list[Path] = field(default_factory=list)
    #: special files -> (status, words the recorded reason holds)
    expected: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, family: str, variant: str, seed: Path, data: bytes, index: int = 0) -> Path:
        """Write one variant of the format's ``index``-th seed (in a folder of its own: two seeds
        may have the same name, as Terminal-Bench's ``agent.cast`` recordings do)."""
        name = seed.stem.replace(".", "-")[:40] + (f"-{index}" if index else "")
        folder = self.root / family / name / variant
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / seed.name
        if path.exists():
            raise ValueError(f"two hostile variants would be written to {path}")
        path.write_bytes(data)
        self.cases.append(Case(path, family, variant))
        return path

    def per_family(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for case in self.cases:
            counts[case.family] = counts.get(case.family, 0) + 1
        return dict(sorted(counts.items()))


def generate(root: Path) -> Corpus:
    """Write the corpus under ``root`` (which must be empty or missing)."""
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root)
    for number, (fmt, seeds) in enumerate(SEEDS.items()):
        for index, (rel, kind) in enumerate(seeds):
            seed = FIXTURES / rel
            data = seed.read_bytes()
            good = root / "good" / fmt / f"{index}-{seed.name}"
            good.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(seed, good)
            corpus.good.append(good)
            for variant, content in _variants(fmt, seed, good, data, kind, number * 10 + index):
                corpus.add(fmt, variant, seed, content, index)
    _special(corpus)
    return corpus


def _variants(fmt: str, path: Path, alone: Path, data: bytes, kind: str, seed: int) -> m.Variants:
    """Every hostile variant of one seed file (``kind``: how it is read, see :data:`SEEDS`;
    ``alone``: its copy in a folder of its own)."""
    out = m.truncations(data) + m.byte_damage(data, seed)
    if kind == "doc":
        doc = json.loads(data)
        out += m.json_variants(doc, seed)
        out.append(("huge-string-3mb", m.huge_string(doc, 3 * 1024**2)))
    elif kind == "lines":
        lines = [json.loads(line) for line in data.splitlines() if line.strip()]
        out += m.lines_variants(lines, seed)
        out.append(("huge-line-5mb", data + m.dumps({"type": "x", "payload": "y" * 5 * 1024**2}) + b"\n"))
    elif kind == "zip":
        out += m.zip_variants(data, seed)
    elif kind == "cast":
        lines = data.splitlines()
        out += m.cast_variants(json.loads(lines[0]), [json.loads(x) for x in lines[1:] if x.strip()], seed)
    elif kind == "text":
        text = data.decode("utf-8")
        out += [
            ("huge-line-5mb", (text + "2025-02-03 10:12:05 - Chatbot - INFO - " + "y" * 5 * 1024**2 + "\n").encode()),
            ("round-banners", (text + "".join(f"2025-02-03 10:12:05 - Chatbot - INFO - ****Round {i}:****\n"
                                              for i in range(50_000))).encode()),
            ("control-chars", text.replace(" - INFO - ", " - INFO - \x1b]0;owned\x07\x1b[2J").encode()),
            ("payload-xss", text.replace(" - INFO - ", f" - INFO - {m.PAYLOADS['xss']}").encode()),
            ("no-newlines", text.replace("\n", " ").encode()),
        ]
    out += _shell_variants(fmt, path, alone, data)
    return out


def _shell_variants(fmt: str, seed: Path, alone: Path, data: bytes) -> m.Variants:
    """The seed with its first command replaced (wherever the seed repeats it) by a command line
    that stresses the parser. Its commands are those it holds where it is, or, for a file that is
    read there as part of another's trial (an event file of a conversation folder), alone, as
    its variants are read."""
    from redline.ingest.loader import process_file

    result = process_file(str(seed))
    if result.status != "ok":
        result = process_file(str(alone))
    if result.status != "ok":
        return []
    actions = [r["text"] for r in result.events.to_pylist() if r["kind"] == "action" and r["text"]]
    if not actions:
        return []
    bombs = dict(m.SHELL_BOMBS)
    if fmt in TIME_BOMB_FORMATS:
        bombs.update(m.SHELL_TIME_BOMBS)
    if seed.as_posix().endswith(HUGE_COMMAND_SEED):
        bombs["command-30mb"] = "echo " + "c" * HUGE_COMMAND_CHARS
    out: m.Variants = []
    for name, line in bombs.items():
        changed = m.replace_text(data, actions[0], line)
        if changed != data:
            out.append((f"shell-{name}", changed))
    return out


# --------------------------------------------------------------------------- special files


def _special(corpus: Corpus) -> None:
    """Files that are not regular files, links that lead nowhere, names that are not UTF-8."""
    root = corpus.root / "special"
    root.mkdir()
    good = next(p for p in corpus.good if p.name.endswith(".traj.json"))

    def expect(path: Path | bytes, variant: str, status: str, words: str) -> None:
        shown = os.fsdecode(path)
        corpus.cases.append(Case(Path(shown), "special", variant))
        corpus.expected[shown] = (status, words)

    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.json")
        expect(root / "pipe.json", "fifo", "skipped", "a named pipe (FIFO)")
        os.mkfifo(root / "pipe.traj")
        expect(root / "pipe.traj", "fifo", "skipped", "a named pipe (FIFO)")
    for name, target, words in (("zero.json", "/dev/zero", "/dev/zero, a character device"),
                                ("random.jsonl", "/dev/urandom", "/dev/urandom, a character device"),
                                ("null.eval", "/dev/null", "/dev/null, a character device"),
                                ("self.json", "/proc/self/environ", "/proc/self/environ"),
                                ("stdin.json", "/dev/stdin", "")):
        if os.path.exists(target):
            os.symlink(target, root / name)
            expect(root / name, "device-link", "skipped", words)
    os.symlink(root / "nowhere" / "run.traj.json", root / "dangling.traj.json")
    expect(root / "dangling.traj.json", "dangling-link", "error", "broken symbolic link")
    os.symlink(root / "loop-b.json", root / "loop-a.json")
    os.symlink(root / "loop-a.json", root / "loop-b.json")
    expect(root / "loop-a.json", "link-loop", "error", "symbolic link loop")
    expect(root / "loop-b.json", "link-loop", "error", "symbolic link loop")
    os.symlink("itself.json", root / "itself.json")
    expect(root / "itself.json", "link-loop", "error", "symbolic link loop")
    os.symlink(corpus.root, root / "back-to-the-top")
    expect(root / "back-to-the-top", "folder-link", "skipped", "a folder")
    bad = os.fsencode(root) + b"/caf\xe9-\xff.traj.json"
    shutil.copyfile(good, bad)
    expect(b"/".join([os.fsencode(root), b"caf\xe9-\xff.traj.json"]), "name-not-utf8", "ok", "")
    bad_unknown = os.fsencode(root) + b"/\xfe\xfe.json"
    with open(bad_unknown, "wb") as fh:
        fh.write(b"{")
    expect(bad_unknown, "name-not-utf8", "error", "damaged")
    evil = root / "evil\x1b]0;owned\x07\x1b[2J.traj.json"
    shutil.copyfile(good, evil)
    expect(evil, "name-with-escapes", "ok", "")
    evil_damaged = root / "damaged\x1b]0;owned\x07\x1b[2J.json"
    evil_damaged.write_bytes(b'{"messages": [')
    expect(evil_damaged, "name-with-escapes", "error", "damaged")
    (root / "folder.json").mkdir()
    (root / "folder.json" / "notes.txt").write_text("not a transcript\n", encoding="utf-8")
    expect(root / "folder.json" / "notes.txt", "folder-named-json", "skipped", "not a recognised")
    unreadable = root / "unreadable.traj.json"
    shutil.copyfile(good, unreadable)
    unreadable.chmod(0)
    expect(unreadable, "no-permission", "ok" if os.geteuid() == 0 else "error", "")
    os.link(good, root / "hardlink.traj.json")
    expect(root / "hardlink.traj.json", "hardlink", "ok", "")
    if hasattr(socket, "AF_UNIX") and len(os.fsencode(root / "sock.json")) < 100:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.fspath(root / "sock.json"))
        sock.close()
        expect(root / "sock.json", "socket", "skipped", "a socket")


if __name__ == "__main__":  # pragma: no cover - a tool for looking at the corpus by hand
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    made = generate(out)
    print(f"{len(made.cases)} hostile files, {len(made.good)} good ones, in {out}")
    for family, n in made.per_family().items():
        print(f"  {family}: {n}")
