"""What the project declares it depends on, and what the README's commands install.

``constraints.txt`` pins the versions the tests last passed with, and the README's set-up
commands install with it, so a fresh checkout installs what was tested (a release of a
dependency made after the last run cannot change what CI runs). These tests keep the pins and
``pyproject.toml`` in step: every direct dependency pinned, each pin inside its declared range,
nothing else pinned; and every runtime dependency is imported by the package, every third-party
import of the package declared. ``constraints-lowest.txt`` pins every direct dependency at the
lower bound of its declared range, the oldest versions the tests must pass with: each pin equal
to its bound, so a bound raised in ``pyproject.toml`` without the file (or the file without the
bound) fails here. The shipped models load only with the scikit-learn they were trained with,
which is therefore scikit-learn's lower bound: retraining them with another version, or moving
the bound without retraining them, fails here too.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
import zipfile
from importlib.metadata import distributions, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
EXTRAS = [Requirement(r) for reqs in PROJECT["optional-dependencies"].values() for r in reqs]
#: every direct dependency (extras included), by its canonical name
DECLARED = {canonicalize_name(r.name): r for r in RUNTIME + EXTRAS}
#: the trained models the package ships (package data)
SHIPPED_MODELS = ROOT / "src" / "redline" / "classifiers" / "models" / "data" / "default"


def _pins(file: str = "constraints.txt") -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{file}: {line!r} is not an exact pin"
            assert canonicalize_name(name) not in pins, f"{file} pins {name} twice"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _lower_bound(requirement: Requirement) -> Version:
    """The version a requirement's one ``>=`` clause names (every direct dependency has one)."""
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(bounds) == 1, f"{requirement}: not one lower bound"
    return bounds[0]


def test_every_direct_dependency_is_pinned_within_its_range_and_nothing_else_is():
    pins = _pins()
    assert set(pins) == set(DECLARED)
    for name, requirement in DECLARED.items():
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, str(pins[name]))


def test_the_lowest_pins_are_every_direct_dependency_at_its_declared_lower_bound():
    pins = _pins("constraints-lowest.txt")
    assert set(pins) == set(DECLARED)
    wrong = {name: (str(pins[name]), str(requirement)) for name, requirement in DECLARED.items()
             if pins[name] != _lower_bound(requirement)}
    assert not wrong, f"pins that are not their declared lower bound: {wrong}"


def test_the_readme_commands_install_with_the_pins():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(commands) == 2
    for command in commands:
        installs = re.findall(r"pip install ([^&]+)", command)
        assert installs and all("-c constraints.txt" in i for i in installs), command


def _imported_top_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "redline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"redline", "__future__"}


def _distributions_of(names: set[str]) -> set[str]:
    """The installed distributions that provide these top-level modules: by their packages, and
    for a module that is a single file (an extension such as ``_duckdb``), by the files each
    distribution installed; a module no distribution provides stands for itself."""
    by_package = packages_distributions()
    found = {name: set(by_package.get(name, ())) for name in names}
    single = {name for name, dists in found.items() if not dists}
    for dist in distributions() if single else ():
        for file in dist.files or ():
            if len(file.parts) == 1 and file.parts[0].split(".")[0] in single:
                found[file.parts[0].split(".")[0]].add(dist.metadata["Name"])
    return {canonicalize_name(d) for name, dists in found.items() for d in dists or {name}}


def test_every_runtime_dependency_is_imported_and_every_import_is_declared():
    imported = _distributions_of(_imported_top_names())
    runtime = {canonicalize_name(r.name) for r in RUNTIME}
    optional = {canonicalize_name(r.name) for r in EXTRAS}
    assert runtime <= imported, f"declared but never imported: {sorted(runtime - imported)}"
    assert imported <= runtime | optional, f"imported but not declared: {sorted(imported - runtime - optional)}"


def _skops_sklearn_versions(path: Path) -> set[str]:
    """The scikit-learn versions a skops file records: each estimator's ``_sklearn_version``,
    which scikit-learn adds to the state it saves."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "_sklearn_version" and isinstance(value, dict):
                    found.add(json.loads(value["content"]) if value.get("is_json") else value["content"])
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    with zipfile.ZipFile(path) as archive:
        walk(json.loads(archive.read("schema.json")))
    return found


def test_the_shipped_models_were_trained_with_the_declared_lowest_scikit_learn():
    bound = _lower_bound(DECLARED["scikit-learn"])
    metas = sorted(SHIPPED_MODELS.glob("*.json"))
    assert metas, f"no shipped models in {SHIPPED_MODELS}"
    for meta_path in metas:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        trained = Version(meta["sklearn_version"])
        # the metadata (what loading checks) says what the skops file itself records
        recorded = _skops_sklearn_versions(meta_path.with_suffix(".skops"))
        assert recorded and {Version(v) for v in recorded} == {trained}, (meta_path.name, recorded)
        assert trained == bound, (f"{meta_path.stem} was trained with scikit-learn {trained}, and the declared "
                                  f"lower bound is {bound}: retrain the shipped models or move the bound "
                                  f"(pyproject.toml and constraints-lowest.txt)")


def test_every_explode_says_what_an_empty_list_gives():
    """polars before 2.0 explodes an empty list into a null row (and warns that the default
    changes), 2.0 and later into no row: across the declared range, only an explicit
    ``empty_as_null`` gives the same rows."""
    unsaid = []
    for path in (ROOT / "src" / "redline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "explode"
                    and not any(k.arg == "empty_as_null" for k in node.keywords)):
                unsaid.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unsaid, unsaid
