"""Trials to Arrow rows: events whose strings are stored as they are take a column-at-a-time
path, the rest are cleaned one at a time; both must store exactly the same rows."""

from __future__ import annotations

import json

from redline import convert, limits, schema
from redline.convert import TableBuilder
from redline.events import Event, Trial


def _events() -> list[Event]:
    """Events of every kind, some clean and some needing each kind of cleaning."""
    return [
        Event("message", "You are a helpful agent.", role="system", source_pointer="/messages/0"),
        Event("action", "ls -la /srv | grep conf", role="assistant", tool="bash",
              attrs={"tool_call_id": "c1"}, source_pointer="/messages/1/tool_calls/0"),
        Event("observation", "conf.d\n", role="tool", exit_code=0, action_seq=1, source_line=7),
        Event("message", "café ✓ déjà vu", role="assistant", source_pointer="/messages/3"),
        Event("action", "echo 'naïve' && cat /etc/hosts; sleep 1 &", role="assistant", tool="bash"),
        Event("observation", "bad \ud800 half", role="tool", exit_code=2**40, source_line=2**33),
        Event("message", "hello", role="r" * (limits.MAX_NAME_CHARS + 50), tool="x\udc80"),
        Event("action", "", role="assistant", tool="bash", source_file="/runs/other.log"),
        Event("observation", None, role="tool", source_pointer="/ptr/\u00e9"),
        Event("action", "if true; then echo $((1+", role="assistant", tool="bash"),
    ]


def _trial(key: str, events: list[Event]) -> Trial:
    trial = Trial("test", "/runs/t.json", local_key=key)
    for ev in events:
        trial.add(Event(ev.kind, ev.text, ev.role, ev.tool, ev.exit_code, ev.timestamp, ev.action_seq,
                        ev.source_file, ev.source_line, ev.source_pointer, dict(ev.attrs)))
    return trial


def _rows(table) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "trial_id"} for row in table.to_pylist()]


def _converted(*trials: Trial):
    builder = TableBuilder()
    for trial in trials:
        builder.add(trial)
    return tuple(rows.to_arrow() for rows in builder.tables())


def test_clean_and_unclean_events_are_stored_the_same_in_either_path():
    events = _events()
    # all in one trial: its unclean events send the whole trial through the one-at-a-time path
    _, together, commands_together = _converted(_trial("all", events))
    # each alone: the clean ones take the column path
    alone = [_converted(_trial(f"e{i}", [ev])) for i, ev in enumerate(events)]
    rows = _rows(together)
    assert [r["seq"] for r in rows] == list(range(len(events)))
    for i, (_, ev_table, cmd_table) in enumerate(alone):
        (row,) = _rows(ev_table)
        assert {**row, "seq": i, "action_seq": rows[i]["action_seq"]} == rows[i]
        assert [{**c, "seq": i} for c in _rows(cmd_table)] == [c for c in _rows(commands_together) if c["seq"] == i]
    # and what cleaning did
    assert rows[3]["text"] == "café ✓ déjà vu"
    assert rows[5]["text"] == "bad ? half" and rows[5]["exit_code"] is None and rows[5]["source_line"] is None
    assert rows[6]["role"].startswith("r" * limits.MAX_NAME_CHARS) and "more characters" in rows[6]["role"]
    assert rows[6]["tool"] == "x?"
    assert rows[7]["source_file"] == "/runs/other.log" and rows[0]["source_file"] == "/runs/t.json"
    assert rows[8]["text"] is None and rows[8]["source_pointer"] == "/ptr/\u00e9"
    assert json.loads(rows[1]["attrs"]) == {"tool_call_id": "c1"} and rows[0]["attrs"] is None
    assert rows[9]["parse_error"] and rows[1]["parse_error"] is None
    programs = [c["program"] for c in _rows(commands_together)]
    assert programs[:2] == ["ls", "grep"] and "echo" in programs and "sleep" in programs


def test_a_trial_longer_than_a_batch_keeps_its_rows_in_order(monkeypatch):
    monkeypatch.setattr(convert, "FLUSH_EVENTS", 7)
    monkeypatch.setattr(convert, "FLUSH_COMMANDS", 5)
    events = []
    for i in range(20):
        events.append(Event("action", f"cd /w{i} && make t{i}", role="assistant", tool="bash"))
        events.append(Event("observation", f"out {i}", role="tool", action_seq=2 * i))
    trials, table, commands = _converted(_trial("one", events), _trial("two", events[:3]))
    assert trials.num_rows == 2
    assert table.num_rows == 43 and len(table.column("seq").chunks) >= 6
    assert table.column("seq").to_pylist() == list(range(40)) + [0, 1, 2]
    assert len(commands.column("seq").chunks) >= 8
    rows = _rows(commands)
    assert [(r["seq"], r["program"]) for r in rows[:4]] == [(0, "cd"), (0, "make"), (2, "cd"), (2, "make")]
    assert len(rows) == 2 * 20 + 2 * 2


def test_rows_are_the_arrow_data_pyarrow_makes_of_the_same_values():
    """Rows are built without pyarrow (nanoarrow, read by DuckDB through the Arrow C stream
    interface): every column type, nulls, non-ASCII text, times with and without a zone and
    lists must come out as pyarrow makes them, schema included."""
    import datetime as dt

    import duckdb
    import pyarrow as pa

    table = schema.Table("t", "every column type", tuple(
        schema.Column(f"c_{sql.lower().replace('[]', '_list')}", sql) for sql in schema.SQL_TYPES))
    paris = dt.timezone(dt.timedelta(hours=1))
    values = {
        "VARCHAR": ["a", None, "café ✓", ""], "JSON": ['{"k": 1}', None, "[]", "null"],
        "INTEGER": [1, None, -2**31, 2**31 - 1], "BIGINT": [2**40, -1, None, 0],
        "DOUBLE": [0.5, None, -1e300, 3.0], "BOOLEAN": [True, False, None, True],
        "TIMESTAMP": [dt.datetime(2026, 3, 2, 10, 0, 0, 123456), None, dt.datetime(1970, 1, 1), dt.datetime(1, 1, 1)],
        "TIMESTAMPTZ": [dt.datetime(2026, 3, 2, 10, 0, tzinfo=paris), None,
                        dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc), dt.datetime(1969, 12, 31, 23, 59, 59)],
        "VARCHAR[]": [["ls", "-la"], None, [], ["naïve", None]],
    }
    columns = [values[c.type] for c in table.columns]
    rows = convert.rows_of(convert.Layout(table), columns)
    expected = pa.table([pa.array(col, type=c.arrow) for col, c in zip(columns, table.columns)],
                        schema=table.arrow_schema())
    assert rows.num_rows == 4 and rows.nbytes > 0
    assert rows.to_arrow().equals(expected, check_metadata=True)
    con = duckdb.connect()
    con.register("rows", rows)  # DuckDB reads them itself, as often as asked
    for _ in range(2):
        assert con.execute("SELECT count(*), count(c_varchar_list) FROM rows").fetchone() == (4, 3)
    empty = [[None] * 3 for _ in table.columns]  # a column of nulls alone is built apart
    assert convert.rows_of(convert.Layout(table), empty).to_arrow().equals(
        pa.table([pa.array(col, type=c.arrow) for col, c in zip(empty, table.columns)], schema=table.arrow_schema()))
    two = convert.concat([rows, rows])
    assert two.num_rows == 8 and two.nbytes == 2 * rows.nbytes
    assert convert.concat([rows, expected]).equals(pa.concat_tables([expected, expected]))




def _file_rows(key: str, events: list[Event]):
    builder = TableBuilder()
    builder.add(_trial(key, events))
    return builder.tables()


def test_many_files_rows_are_built_as_one_record_batch_with_the_same_values():
    """Each file's rows wait as Python values; joined, the files' rows are one record batch per
    table (built once), holding what each file's rows hold, in order."""
    files = _file_rows_each(5)
    alone = [[rows.to_arrow().to_pylist() for rows in tables] for tables in _file_rows_each(5)]
    for t in range(3):
        joined = convert.concat([tables[t] for tables in files])
        table = joined.to_arrow()
        assert table.column(0).num_chunks == 1
        assert table.to_pylist() == [row for tables in alone for row in tables[t]]
        assert joined.num_rows == sum(tables[t].num_rows for tables in files)


def _file_rows_each(n: int):
    return [_file_rows(f"k{i}", _events()) for i in range(n)]


def test_shared_rows_are_slices_of_the_joined_rows_and_read_the_same(monkeypatch):
    """convert.share joins files' rows and turns each file's own into slices of the joined ones:
    each file still reads as its own rows (the writer stores a file alone that way when the
    database refuses its batch), across the joined record batches' boundaries too."""
    import duckdb

    monkeypatch.setattr(convert.arrow, "FLUSH_COMMANDS", 12)  # joined batches end mid-way
    files = _file_rows_each(4)
    expected = [[rows.to_arrow().to_pylist() for rows in tables] for tables in _file_rows_each(4)]
    con = duckdb.connect()
    for t in range(3):
        joined = convert.share([tables[t] for tables in files])
        assert joined.to_arrow().to_pylist() == [row for tables in expected for row in tables[t]]
        for tables, want in zip(files, expected):
            assert tables[t].to_arrow().to_pylist() == want[t]
            con.register("one", tables[t])
            assert con.execute("SELECT count(*) FROM one").fetchall() == [(len(want[t]),)]
            con.unregister("one")
    fresh = _file_rows_each(2)  # 10 events a file, 12 rows at most a joined batch: two batches
    assert len(convert.share([fresh[0][1], fresh[1][1]]).chunks) == 2
