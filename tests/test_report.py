"""The HTML report: self-contained, escaped, and telling the story of each trial."""

from __future__ import annotations

import re

from redline import classify, write_html
from redline.ingest import ingest

HOSTILE = "<script>alert('pwned')</script>"


def _report(con, tmp_path, write_traj, steps):
    ingest([write_traj("repo__x-1", steps)], con)
    classify(con)
    out = write_html(con, tmp_path / "report.html")
    return out.read_text(encoding="utf-8")


def test_transcript_script_tags_are_escaped_everywhere(con, tmp_path, write_traj):
    html = _report(con, tmp_path, write_traj, [
        (f"echo \"{HOSTILE}\" > page.html", HOSTILE + "\n", 0),
        ("python -m http.server 8000", "OSError: [Errno 98] Address already in use " + HOSTILE, 1),
    ])
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html
    # the only script elements are the report's own two
    assert len(re.findall(r"<script>", html)) == 2


def test_report_is_self_contained(con, tmp_path, write_traj):
    html = _report(con, tmp_path, write_traj, [("ls", "a\n", 0)])
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert "default-src 'none'" in html  # the page may not fetch anything
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js is inlined


def test_labelled_steps_show_command_output_reasoning_and_evidence(con, tmp_path, write_traj):
    html = _report(con, tmp_path, write_traj, [
        ("python app.py --port 8000", "OSError: [Errno 98] Address already in use\n", 1),
        ("kill -9 $(lsof -t -i:8000)", "", 0),
    ])
    assert "PROC-KILL" in html and "OBS-PORT" in html
    assert "<mark>kill -9 $(lsof -t -i:8000)</mark>" in html
    assert "<mark>Errno 98</mark>" in html or "<mark>[Errno 98]" in html or "<mark>Address already in use</mark>" in html
    assert "THOUGHT: step 1" in html
    assert "deepseek/deepseek-chat" in html


def test_labels_from_an_older_version_of_a_classifier_are_flagged_stale(con, tmp_path, write_traj):
    import dataclasses

    from redline.classifiers.registry import active_rules, get_rule

    ingest([write_traj("repo__s-1", [("kill 1", "", 0)])], con)
    older = dataclasses.replace(get_rule("PROC-KILL"), misses=())
    classify(con, [older] + [r for r in active_rules() if r.id != "PROC-KILL"])
    html = write_html(con, tmp_path / "stale.html").read_text(encoding="utf-8")
    assert 'id="stale"' in html and "older version of them (PROC-KILL)" in html
    classify(con)
    assert 'id="stale"' not in write_html(con, tmp_path / "fresh.html").read_text(encoding="utf-8")
