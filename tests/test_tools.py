"""The development tools in tools/: they reproduce what the project ships."""

from __future__ import annotations

from importlib import resources

from tools.attack_techniques import build_table


def _bundle_from(table: str) -> dict:
    """A STIX bundle holding exactly the techniques of a table, plus entries a table leaves out."""
    rows = [line.split("\t") for line in table.splitlines()[5:]]
    objects: list[dict] = [{"type": "x-mitre-collection", "x_mitre_version": "18.1",
                            "modified": "2025-10-28T00:00:00.000Z"}]
    for tid, name, tactics in reversed(rows):  # order must not matter
        objects.append({
            "type": "attack-pattern", "name": name,
            "external_references": [{"source_name": "capec", "external_id": "CAPEC-1"},
                                    {"source_name": "mitre-attack", "external_id": tid}],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": t} for t in tactics.split(",")],
        })
    objects.append({"type": "attack-pattern", "name": "Gone", "revoked": True,
                    "external_references": [{"source_name": "mitre-attack", "external_id": "T0001"}]})
    objects.append({"type": "attack-pattern", "name": "Old", "x_mitre_deprecated": True,
                    "external_references": [{"source_name": "mitre-attack", "external_id": "T0002"}]})
    objects.append({"type": "malware", "name": "Not a technique",
                    "external_references": [{"source_name": "mitre-attack", "external_id": "S0001"}]})
    return {"type": "bundle", "objects": objects}


def test_the_attack_script_rebuilds_the_shipped_table_from_its_bundle():
    shipped = resources.files("redline.classifiers").joinpath("data", "attack_techniques.tsv").read_text("utf-8")
    assert build_table(_bundle_from(shipped)) == shipped
