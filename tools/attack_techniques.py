"""Regenerate the shipped ATT&CK table from MITRE's enterprise-attack STIX bundle.

    python tools/attack_techniques.py                    # the latest release, downloaded
    python tools/attack_techniques.py --version 18.1     # a given ATT&CK release
    python tools/attack_techniques.py --bundle enterprise-attack.json   # a bundle on disk

writes ``src/redline/classifiers/data/attack_techniques.tsv`` (or ``--out``): every active
Enterprise technique and sub-technique (not revoked, not deprecated) with its ID, name and
tactics, sorted by ID, under a header naming the ATT&CK version. The bundle comes from
MITRE's ``attack-stix-data`` repository on GitHub. ``redline`` reads the table to name the
techniques its rules declare (``redline rule ID``), and the tests check that every technique a
rule declares is in it. Run it when a new ATT&CK release matters, and commit the result.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

SOURCE = "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/"
OUT = Path(__file__).resolve().parents[1] / "src" / "redline" / "classifiers" / "data" / "attack_techniques.tsv"
#: seconds to wait for the download
TIMEOUT = 120


def _attack_id(obj: dict) -> str | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack":
            return ref.get("external_id")
    return None


def build_table(bundle: dict) -> str:
    """The table's text for a STIX bundle (a dict with ``objects``)."""
    objects = bundle.get("objects", [])
    collection = next((o for o in objects if o.get("type") == "x-mitre-collection"), {})
    version = collection.get("x_mitre_version", "unknown")
    year = (collection.get("modified") or "")[:4] or "unknown"
    rows: list[tuple[str, str, str]] = []
    for obj in objects:
        if obj.get("type") != "attack-pattern" or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        tid = _attack_id(obj)
        if not tid or not tid.startswith("T"):
            continue
        tactics = [p["phase_name"] for p in obj.get("kill_chain_phases", [])
                   if p.get("kill_chain_name") == "mitre-attack"]
        rows.append((tid, " ".join(obj["name"].split()), ",".join(tactics)))
    rows.sort()
    header = [
        f"# MITRE ATT&CK Enterprise techniques and sub-techniques, version {version} "
        "(active: not revoked, not deprecated).",
        "# Transcribed from MITRE's enterprise-attack STIX bundle (github.com/mitre-attack/attack-stix-data); "
        "IDs, names and tactics only.",
        f"# (c) {year} The MITRE Corporation. This work is reproduced and distributed with the permission "
        "of The MITRE Corporation.",
        "# To update: regenerate from a newer enterprise-attack bundle; keep the three columns.",
        "id\tname\ttactics",
    ]
    return "\n".join(header + ["\t".join(row) for row in rows]) + "\n"


def download(version: str | None) -> dict:
    name = f"enterprise-attack-{version}.json" if version else "enterprise-attack.json"
    with urllib.request.urlopen(SOURCE + name, timeout=TIMEOUT) as response:  # noqa: S310 - a fixed https URL
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="a STIX bundle on disk instead of downloading one")
    parser.add_argument("--version", help="the ATT&CK release to download (default: the latest)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the table")
    args = parser.parse_args(argv)
    bundle = json.loads(args.bundle.read_text(encoding="utf-8")) if args.bundle else download(args.version)
    text = build_table(bundle)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 5} techniques to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
