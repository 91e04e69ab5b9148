"""What a reading action shows of a file is content: its lines are blanked for the rules of
specific obstacles, the reading program's own messages kept at their place, listings and logs
kept whole."""

from __future__ import annotations

import polars as pl

from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.registry import active_rules
from redline.convert import trials_to_arrow


def _labels(command: str, output: str, exit_code: int = 0) -> pl.DataFrame:
    trial = steps_trial([{"kind": "action", "text": command},
                         {"kind": "observation", "text": output, "exit_code": exit_code}], format="test",
                        source_path="<read>")
    rules = [r for r in active_rules() if r.unit == "observation"]
    return label_frames(Frames.from_arrow(*trials_to_arrow([trial])), rules).sort("label_id")


def test_the_reading_programs_own_message_is_found_at_its_place_among_blanked_content():
    output = ("# Troubleshooting\nIf you see `Permission denied`, run as root.\n"
              "cat: missing.md: No such file or directory")
    labels = _labels("cat README.md missing.md", output, 1)
    assert labels["label_id"].to_list() == ["OBS-FILE-MISSING"]
    start, end = labels.row(0, named=True)["span_start"], labels.row(0, named=True)["span_end"]
    assert output[start:end] == labels.row(0, named=True)["evidence"] == "No such file or directory"


def test_a_listing_is_not_content_and_a_log_is_read_whole():
    # `file` reports on its arguments, not their content
    assert _labels("file ~/ctf_files/*", "/root/ctf_files/*: cannot open `/root/ctf_files/*' "
                   "(No such file or directory)")["label_id"].to_list() == ["OBS-FILE-MISSING"]
    log = "INFO started\nERROR:    [Errno 98] Address already in use"
    assert _labels("tail -n 20 /tmp/api_server.log", log)["label_id"].to_list() == ["OBS-PORT"]
    # the same text in a source file the agent reads is no obstacle
    assert _labels("cat docs/errors.md", log).is_empty()
