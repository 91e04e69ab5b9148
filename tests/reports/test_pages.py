"""The report's files: escaping, the Content-Security-Policy, the site's layout, the switch from
one file to a site, and the summaries. (The browser tests drive the same pages in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from click.testing import CliRunner

import redline
from redline.cli import main
from redline.reports import render, write_report
from redline.reports.pages import slug

from tests.reports.report_fixtures import HOSTILE_MODEL, PAYLOADS, SCRIPT

_SCRIPT_TAG = re.compile(r"<script([^>]*)>(.*?)</script>", re.S)


def _report(db, out, **kw):
    con = redline.connect(db, read_only=True)
    try:
        return write_report(con, out, **kw)
    finally:
        con.close()


def _outside_scripts(html: str) -> str:
    return _SCRIPT_TAG.sub("<script></script>", html)


def _csp(html: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)


def test_single_file_runs_only_its_own_hashed_scripts(hostile_db, tmp_path):
    html = _report(hostile_db, tmp_path / "r.html").read_text(encoding="utf-8")
    csp = _csp(html)
    assert "unsafe-eval" not in csp and "default-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src
    for attrs, body in _SCRIPT_TAG.findall(html):
        if attrs == ' type="application/json"' or attrs.startswith(' type="application/json" '):
            json.loads(body)  # data, never run: must parse whole (nothing closed it early)
            continue
        assert attrs == "", attrs
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_every_transcript_payload_is_shown_as_text(hostile_db, tmp_path):
    html = _report(hostile_db, tmp_path / "r.html").read_text(encoding="utf-8")
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in html, payload
    outside = _outside_scripts(html)
    assert "&lt;script&gt;window.__pwned" in outside
    assert not re.search(r"<(img|iframe|svg|style|a href=\"javascript)", outside.replace("<style>", "", 1))
    assert not re.search(r"""<[a-z][^>]*\s(src|href)=["']?(https?:|//|javascript:)""", outside)
    assert "\u241b[31mred" in html          # ANSI escapes show as ␛, never obeyed
    assert "&lt;U+202E&gt;" in html and "\u202e" not in html  # bidi overrides made visible
    assert HOSTILE_MODEL not in html


def test_a_ten_megabyte_line_is_folded_not_copied(hostile_db, tmp_path):
    html = _report(hostile_db, tmp_path / "r.html").read_text(encoding="utf-8")
    assert len(html) < 8_000_000  # plotly.js is ~4.8 MB; the 10 MB output keeps its head and tail
    assert '<details class="fold"><summary>' in html and "characters not shown in the report" in html


def test_site_has_an_index_a_page_per_trial_and_shared_assets(ordinary_db, tmp_path):
    index = _report(ordinary_db, str(tmp_path / "site") + "/")
    site = index.parent
    assert index.name == "index.html"
    con = redline.connect(ordinary_db, read_only=True)
    trial_ids = [r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall()]
    con.close()
    assert sorted(p.name for p in (site / "trials").iterdir()) == sorted(f"{slug(t)}.html" for t in trial_ids)
    assert sorted(p.name for p in (site / "assets").iterdir()) == ["plotly.min.js", "report.css", "report.js"]
    assert (site / "rules.html").exists() and list((site / "search").glob("*.js"))
    for page in [index, *(site / "trials").iterdir()]:
        html = page.read_text(encoding="utf-8")
        assert "script-src 'self';" in _csp(html) and "unsafe-eval" not in html
        assert not re.search(r"<script>", html)  # no inline script to run, only the site's own files
    page = (site / "trials" / f"{slug(trial_ids[0])}.html").read_text(encoding="utf-8")
    assert re.search(rf'id="{slug(trial_ids[0])}/step-1"', page)


def test_past_the_single_file_limit_the_report_becomes_a_site(ordinary_db, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "MAX_SINGLE_TRIALS", 2)
    out = tmp_path / "report.html"
    index = _report(ordinary_db, out)
    assert index == tmp_path / "report" / "index.html" and index.exists()
    assert 'href="report/index.html"' in out.read_text(encoding="utf-8")
    assert len(list((tmp_path / "report" / "trials").iterdir())) == 3  # no trial dropped
    assert _report(ordinary_db, tmp_path / "one.html", single=True) == tmp_path / "one.html"


def test_report_command_names_the_site_it_wrote_instead(ordinary_db, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "MAX_SINGLE_TRIALS", 2)
    res = CliRunner().invoke(main, ["report", "--db", str(ordinary_db), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert "too many trials for one file" in res.output and "index.html" in res.output


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_summaries_carry_the_headline_and_findings(hostile_db, ordinary_db, tmp_path, fmt):
    res = CliRunner().invoke(main, ["report", "--db", str(ordinary_db), "--format", fmt])
    assert res.exit_code == 0, res.output
    if fmt == "json":
        s = json.loads(res.output)
        assert s["audited"]["trials"] == 3 and s["findings"]["total"] >= 1
        row = next(r for r in s["headline"] if r["model"] == "other/model-b")
        assert row["trials"] == 2 and set(row["replicated"]) == {"inferred", "recorded", "disagree"}
        assert {m["model"] for m in s["categories"]["models"]} == {"deepseek/deepseek-chat", "other/model-b"}
    else:
        assert "### Headline" in res.output and "| other/model-b |" in res.output
    out = tmp_path / f"s.{fmt}"
    res = CliRunner().invoke(main, ["report", "--db", str(hostile_db), "--format", fmt, "-o", str(out)])
    assert res.exit_code == 0 and SCRIPT not in out.read_text(encoding="utf-8") or fmt == "json"


def test_a_kill_chip_names_its_target_when_the_classifier_gives_one(ordinary_db, tmp_path):
    con = redline.connect(ordinary_db, read_only=True)
    detail = con.execute("SELECT CAST(detail AS VARCHAR) FROM current_labels WHERE label_id = 'PROC-KILL'").fetchall()
    con.close()
    html = _report(ordinary_db, tmp_path / "r.html").read_text(encoding="utf-8")
    target = json.loads(detail[0][0] or "{}").get("target") if detail else None
    if target:
        assert f"PROC-KILL · {target}</a>" in html and f"; target: {target})" in html
    else:
        assert "PROC-KILL</a>" in html
