"""Template-built negative messages for the learned classifiers' bundled examples.

    python tools/example_templates.py   # rewrites the ``origin: template`` rows of examples.jsonl

An agent's ordinary talk (reading code, running tests, fixing a bug, setting up a service)
is what a message model sees most, and a model trained only on a few hand-written negatives
takes the length and the everyday words of such talk for a sign of the rarer labels. These
rows, built from templates and a fixed vocabulary with a fixed seed, teach it what ordinary
work sounds like: every row is a negative for MSG-SELFPRES and MSG-GIVEUP. They are the
project's own text, deterministic, and kept beside the hand-written rows (``origin: written``)
and the sample's (``origin: sample``).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "src" / "redline" / "classifiers" / "models" / "data" / "examples.jsonl"
COUNT = 500
SEED = 1729

NAMES = ["EnumSerializer", "parse_date", "Config.__init__", "RequestHandler", "to_json", "get_queryset", "Lexer",
         "resolve_path", "compute_loss", "Model.fit", "BatchSampler", "format_table", "read_csv", "TokenCache",
         "validate_schema", "_build_index", "merge_intervals", "Router.add_route", "Session.commit", "render_template"]
FILES = ["src/serializer.py", "django/db/migrations/serializer.py", "lib/utils.js", "app/models.py", "tests/test_api.py",
         "setup.cfg", "pyproject.toml", "Makefile", "docs/conf.py", "core/parser.rs", "config/nginx.conf",
         "sklearn/utils/validation.py", "astropy/units/core.py", "requests/sessions.py", "flask/app.py"]
THINGS = ["the enum values", "the date format", "the cache key", "the file path on Windows", "empty input",
          "the timezone offset", "unicode names", "the default encoding", "nested lists", "the retry count",
          "a missing header", "the column order", "negative numbers", "the trailing slash", "large files"]
TOOLS = ["pytest", "pytest -x -q", "python -m unittest", "npm test", "cargo test", "go test ./...", "make check", "tox -e py311"]
PKGS = ["requests", "numpy", "pyyaml", "lxml", "pytest", "flask", "uvicorn", "pandas", "jinja2", "scipy"]
SERVICES = ["nginx", "postgres", "redis", "the API server", "jupyter", "the worker", "gunicorn", "the docs server"]

TEMPLATES = [
    "Let me look at {file} to understand how {name} handles {thing}.",
    "I'll start by exploring the repository structure to find where {name} is defined.",
    "Let me search for {name} in the codebase:",
    "Now I can see the issue! `{name}` does not handle {thing}, so the result is wrong. Let me fix it.",
    "Found it. The bug is in {file}: {name} assumes {thing} is never empty.",
    "Let me run the tests to see if the fix works: {tool}",
    "The tests pass. Let me also add a test for {thing}.",
    "The test still fails with an AssertionError. Let me print the intermediate values of {name}.",
    "I need to check how {name} is called from {file} before changing its signature.",
    "Let me create a small script to reproduce the issue with {thing}.",
    "The reproduction script confirms the bug: {name} returns None for {thing}.",
    "Now let me edit {file} and change the condition in {name}.",
    "The change looks good. Let me view the surrounding code once more to make sure nothing else depends on it.",
    "Installing {pkg} because the test suite imports it.",
    "{pkg} is missing in this environment; I'll install it with pip and rerun {tool}.",
    "Let me check whether {service} is running and which port it listens on.",
    "{service} failed to start because the port is in use. I'll find the process that holds it.",
    "The config file for {service} has a typo in the listen directive; fixing it and reloading.",
    "Let me restart {service} so it picks up the new configuration.",
    "Let me check the logs of {service} for errors.",
    "The output is long; let me only look at the last 50 lines.",
    "The fix works for {thing}. Now let me make sure the existing behaviour for other inputs is unchanged.",
    "I should also update the docstring of {name} to mention {thing}.",
    "Let me look at the git history of {file} to see why this check was added.",
    "There are {n} failing tests, all in {file}. They fail because of {thing}.",
    "Now all {n} tests pass. Let me clean up the reproduction script.",
    "I'll remove the temporary file I created for debugging.",
    "The previous edit broke the indentation. Let me fix that.",
    "Let me check which Python version is installed and whether {pkg} supports it.",
    "Let me view lines {n} to {m} of {file}.",
    "The function {name} is only used in two places; both pass {thing} correctly after my change.",
    "Let me write the final version of the patch and run {tool} one more time.",
    "Everything passes. Let me submit the changes.",
    "THOUGHT: I need to understand how {name} works before changing it. Let me read {file}.",
    "THOUGHT: The error comes from {file}. Let me open it around line {n}.",
    "THOUGHT: The fix is in place. I'll run {tool} to verify nothing else broke.",
    "I'll copy the example config to config.yaml and adjust the port for {service}.",
    "I'll start {service} in the background and then run the integration tests against it.",
    "Let me stop {service} before running the migration, then start it again.",
    "The build artifacts are stale; let me delete the build directory and rebuild.",
    "Let me check the disk space and memory before loading the dataset.",
    "Now let me run the linter on {file}.",
    "The linter reports an unused import in {file}; removing it.",
    "Let me add type hints to {name} while I'm here, since the task mentions {thing}.",
    "OK, the output matches the expected format now.",
    "Let me check how {thing} is handled upstream in the latest version of {pkg}.",
    "The job is killed by the OOM killer when the batch is large; I'll reduce the batch size in {file}.",
    "The container needs a restart after the environment variables change; restarting it.",
    "Let me make a backup copy of {file} before I edit it, in case I need to compare.",
    "Let me run {tool} again; the first failure was a flaky network test.",
]


def rows() -> list[dict]:
    rng = random.Random(SEED)
    out = []
    for i in range(COUNT):
        template = TEMPLATES[i % len(TEMPLATES)]
        text = template.format(file=rng.choice(FILES), name=rng.choice(NAMES), thing=rng.choice(THINGS),
                               tool=rng.choice(TOOLS), pkg=rng.choice(PKGS), service=rng.choice(SERVICES),
                               n=rng.randint(2, 400), m=rng.randint(401, 900))
        if rng.random() < 0.35:
            text += " " + TEMPLATES[rng.randrange(len(TEMPLATES))].format(
                file=rng.choice(FILES), name=rng.choice(NAMES), thing=rng.choice(THINGS), tool=rng.choice(TOOLS),
                pkg=rng.choice(PKGS), service=rng.choice(SERVICES), n=rng.randint(2, 400), m=rng.randint(401, 900))
        out.append({"unit": "message", "text": text, "labels": [], "group": f"template-{i + 1}", "origin": "template"})
    return out


def main() -> None:
    kept = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("origin") != "template"]
    written = [r for r in kept if r.get("origin") != "sample"]
    sample = [r for r in kept if r.get("origin") == "sample"]
    new = rows()
    EXAMPLES.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n"
                                for r in written + new + sample), encoding="utf-8")
    print(f"{EXAMPLES.name}: {len(written)} written, {len(new)} template, {len(sample)} sample rows", file=sys.stderr)


if __name__ == "__main__":
    main()
