"""Rows as Arrow data without pyarrow: :class:`Rows`, built with nanoarrow.

Ingest hands its rows to DuckDB through the Arrow C stream interface, which DuckDB reads
itself; building them needs Arrow's memory layout, not pyarrow's library. pyarrow (with NumPy,
which it loads) costs an ingest about 0.07 s to import and 38 MB of resident memory, a fifth of
the whole process on a small corpus; nanoarrow costs 0.01 s and 5 MB, and builds string and
integer columns from Python lists about as fast, value for value; each call costs as much as
a thousand values, so rows are built once for many files (see :class:`Rows`).
:meth:`Rows.to_arrow` gives a pyarrow table (loading pyarrow then) to what needs one: a Parquet
writer, a rule example's frames. Rows travel between processes as Arrow IPC streams
(:func:`serialize`, :func:`deserialize`), written and read with nanoarrow too.
"""

from __future__ import annotations

import io
import itertools
from array import array
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import nanoarrow as na
import nanoarrow.ipc as ipc

from .. import schema
from ..limits import FLUSH_CHARS, FLUSH_COMMANDS

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["Rows", "concat", "deserialize", "rows_of", "serialize", "share", "to_arrow"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


@lru_cache(maxsize=None)
def _type(sql: str) -> na.Schema:
    """DuckDB type -> nanoarrow type (the Arrow types of :func:`redline.schema` ``arrow_schema``)."""
    return {
        "VARCHAR": na.string(), "JSON": na.string(), "INTEGER": na.int32(), "BIGINT": na.int64(),
        "DOUBLE": na.float64(), "BOOLEAN": na.bool_(), "TIMESTAMP": na.timestamp("us"),
        "TIMESTAMPTZ": na.timestamp("us", "UTC"), "VARCHAR[]": na.list_(na.string()),
    }[sql]


class Layout:
    """The Arrow layout of the rows written to one table: its columns' names and types."""

    def __init__(self, table: schema.Table, without: tuple[str, ...] = ()) -> None:
        columns = table.written(without)
        self.names: tuple[str, ...] = tuple(c.name for c in columns)
        self.sql: tuple[str, ...] = tuple(c.type for c in columns)
        self.schema = na.struct({c.name: _type(c.type) for c in columns})

    def batch(self, columns: list[list]) -> Any:
        """One record batch (a nanoarrow struct array) of these columns' values, in order."""
        length = len(columns[0]) if columns else 0
        children = [_column(sql, values) for sql, values in zip(self.sql, columns)]
        return na.c_array_from_buffers(self.schema, length, [None], children=children, validation_level="none")


def _validity(values: list) -> bytes:
    """Arrow's validity bitmap of ``values``: bit ``i`` set when value ``i`` is not None."""
    bits = "".join(["0" if v is None else "1" for v in values])[::-1]
    return int(bits, 2).to_bytes((len(values) + 7) // 8, "little")


#: bytes per value of the fixed-width types (an all-null column is zeros of this width)
_WIDTH = {"INTEGER": 4, "BIGINT": 8, "DOUBLE": 8, "TIMESTAMP": 8, "TIMESTAMPTZ": 8}


def _column(sql: str, values: list) -> Any:
    n = len(values)
    # (a list's count of None compares every value with it: only a column that starts with one)
    if n and values[0] is None and values.count(None) == n:  # no value to convert: exit codes,
        return _nulls(sql, n)  # times a format does not record...
    if sql == "VARCHAR[]":
        return _lists(values)
    if sql in ("TIMESTAMPTZ", "TIMESTAMP"):
        values = [None if v is None else _micros(v) for v in values]
    elif sql in ("INTEGER", "BIGINT"):
        try:
            data = array("i" if sql == "INTEGER" else "q", values)
        except TypeError:  # a None among them: nanoarrow makes the validity bitmap
            pass
        else:
            return na.c_array_from_buffers(_type(sql), n, [None, data], null_count=0, validation_level="none")
    return na.c_array(values, _type(sql))


def _nulls(sql: str, n: int) -> Any:
    """A column of ``n`` nulls."""
    validity = bytes((n + 7) // 8)
    if sql in _WIDTH:
        return na.c_array_from_buffers(_type(sql), n, [validity, bytes(_WIDTH[sql] * n)], null_count=n,
                                       validation_level="none")
    if sql == "BOOLEAN":
        return na.c_array_from_buffers(_type(sql), n, [validity, validity], null_count=n, validation_level="none")
    offsets = bytes(4 * (n + 1))
    if sql == "VARCHAR[]":
        return na.c_array_from_buffers(_type(sql), n, [validity, offsets], null_count=n,
                                       children=[na.c_array([], na.string())], validation_level="none")
    return na.c_array_from_buffers(_type(sql), n, [validity, offsets, b""], null_count=n, validation_level="none")


def _micros(value: datetime) -> int:
    """Microseconds since the epoch (a naive time is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // _MICROSECOND


def _lists(values: list[list[str | None] | None]) -> Any:
    validity, nulls, lists = None, 0, values
    try:
        sizes = list(map(len, values))
    except TypeError:  # a None among them
        nulls = values.count(None)
        validity = _validity(values)
        lists = [() if v is None else v for v in values]
        sizes = list(map(len, lists))
    offsets = array("i", itertools.accumulate(sizes, initial=0))
    items = na.c_array(list(itertools.chain.from_iterable(lists)), na.string())
    return na.c_array_from_buffers(_type("VARCHAR[]"), len(values), [validity, offsets], null_count=nulls,
                                   children=[items], validation_level="none")


def _estimate(layout: Layout, columns: list[list]) -> int:
    """About the bytes of ``columns``' Arrow buffers: their strings' characters and eight bytes
    a value (exact for ASCII text and 64-bit numbers, near for the rest)."""
    n = len(columns[0]) if columns else 0
    chars = 0
    for sql, values in zip(layout.sql, columns):
        if sql in ("VARCHAR", "JSON"):
            chars += sum(map(len, filter(None, values)))
        elif sql == "VARCHAR[]":
            chars += sum(len(v) for lst in values if lst for v in lst if v)
    return chars + 8 * n * len(columns)


class Rows:
    """One table's rows, as Arrow record batches (nanoarrow arrays) once they are asked for.

    Until then each batch is its columns' Python values (a part), and :func:`concat` joins the
    parts of many files' rows into one batch: building Arrow arrays costs about as much per call
    as per thousand values, so a batch of a few hundred files built at once costs a fraction of
    building each file's rows apart. DuckDB reads them through the Arrow C stream interface
    (``con.register(name, rows)``), every scan from the start; they are built at the first."""

    __slots__ = ("layout", "parts", "num_rows", "nbytes")

    def __init__(self, layout: Layout, parts: list[Any], nbytes: int | None = None) -> None:
        self.layout = layout
        #: each record batch: a list of its columns' values, the nanoarrow array built of them,
        #: or a span of such an array, ``(array, start, stop)``: spans of one array that follow
        #: each other are joined back into one batch when rows are joined (:func:`concat`)
        self.parts = parts
        self.num_rows: int = sum(_length(p) for p in parts)
        #: about the bytes of its buffers (see :func:`_estimate`)
        if nbytes is None:
            nbytes = sum(_estimate(layout, p) for p in parts if isinstance(p, list))
        self.nbytes: int = nbytes

    @property
    def chunks(self) -> list[Any]:
        """Its record batches as nanoarrow arrays (built once)."""
        self.parts = [self.layout.batch(p) if isinstance(p, list) else _slice(p) if isinstance(p, tuple) else p
                      for p in self.parts]
        return self.parts

    def get_total_buffer_size(self) -> int:
        return self.nbytes

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        chunks = self.chunks
        chunks = na.Array.from_chunks(chunks) if chunks else na.Array.from_chunks([], self.layout.schema)
        return chunks.__arrow_c_stream__(requested_schema)

    def to_arrow(self) -> pa.Table:
        """The rows as a pyarrow table (one chunk per record batch)."""
        import pyarrow as pa

        chunks = self.chunks
        if all(c.offset == 0 for c in chunks):
            return pa.table(self)
        # slices of joined rows (see share): pyarrow imports a record batch only at offset 0
        return pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(c)) for c in chunks],
                                     schema=pa.schema(self.layout.schema))

    def to_pylist(self) -> list[dict]:
        return self.to_arrow().to_pylist()


def _length(part: Any) -> int:
    if isinstance(part, list):
        return len(part[0]) if part else 0
    if isinstance(part, tuple):
        return part[2] - part[1]
    return part.length


def _slice(span: tuple[Any, int, int]) -> Any:
    array, start, stop = span
    return array if start == 0 and stop == array.length else array[start:stop]


def rows_of(layout: Layout, columns: list[list]) -> Rows:
    """Rows of one record batch of ``columns`` (each a list of values, in the layout's order)."""
    return Rows(layout, [columns])


def concat(parts: list) -> Any:
    """Several tables' rows one after the other, for DuckDB to read in one scan: a :class:`Rows`
    when every part is one, else a pyarrow table (a part is one).
    Tables of one batch not yet built are joined into one (see :func:`_joined`)."""
    if all(isinstance(p, Rows) for p in parts):
        return Rows(parts[0].layout, _joined(parts), sum(p.nbytes for p in parts))
    import pyarrow as pa

    return pa.concat_tables([to_arrow(p) for p in parts])


def share(tables: list[Rows]) -> Rows:
    """The rows of ``tables`` joined (:func:`concat`) and built, each table's own batches
    turned into slices of the joined ones (no copy): their Python values are let go, and the
    joined rows are built once for all of them. Returns the joined rows."""
    joined = concat(tables)
    for table, parts in zip(tables, _spans(joined.chunks, [t.num_rows for t in tables])):
        table.parts = parts
    return joined


def _spans(chunks: list[Any], counts: list[int]) -> list[list[tuple[Any, int, int]]]:
    """Consecutive parts of the rows of ``chunks`` (record batches), ``counts[i]`` rows for
    part ``i``: each part its batches' spans, ``(batch, start, stop)`` (sliced, without
    copying, when they are read)."""
    out = []
    at, offset = 0, 0  # the batch the next part's rows start in, and where in it
    for wanted in counts:
        parts = []
        while wanted:
            chunk = chunks[at]
            take = min(wanted, chunk.length - offset)
            parts.append((chunk, offset, offset + take))
            wanted, offset = wanted - take, offset + take
            if offset == chunk.length:
                at, offset = at + 1, 0
        out.append(parts)
    return out


def serialize(rows: Rows) -> bytes:
    """The rows as an Arrow IPC stream: what travels from a worker process (bytes pickle at
    the speed of copying them; :func:`deserialize` reads them back without pyarrow)."""
    buffer = io.BytesIO()
    writer = ipc.StreamWriter.from_writable(buffer)
    writer.write_stream(rows)
    writer.close()
    return buffer.getvalue()


def deserialize(layout: Layout, data: bytes, counts: list[int]) -> list[Rows]:
    """Consecutive parts of the rows :func:`serialize` wrote, ``counts[i]`` rows for part
    ``i``, each spans of the batches read (see :class:`Rows`: the parts of a batch of files
    are written as the batches they came in, not one small batch per file)."""
    chunks = [na.c_array(chunk) for chunk in na.ArrayStream.from_readable(io.BytesIO(data)).iter_chunks()]
    return [Rows(layout, parts, 0) for parts in _spans(chunks, counts)]


def _joined(tables: list[Rows]) -> list[Any]:
    """The record batches of ``tables`` in order, consecutive tables of one batch not yet built
    joined into one, up to :data:`~redline.limits.FLUSH_CHARS` bytes and
    :data:`~redline.limits.FLUSH_COMMANDS` rows (a table of several batches was cut by those
    bounds: its batches stay as they are)."""
    out: list[Any] = []
    run: list[list[list]] = []
    rows = size = 0
    for table in tables:
        single = len(table.parts) == 1 and isinstance(table.parts[0], list)
        if run and (not single or rows + table.num_rows > FLUSH_COMMANDS or size + table.nbytes > FLUSH_CHARS):
            out.append(_join(run))
            run, rows, size = [], 0, 0
        if single:
            run.append(table.parts[0])
            rows, size = rows + table.num_rows, size + table.nbytes
        else:
            for part in table.parts:  # a span that follows the one before in its batch: joined
                last = out[-1] if out else None
                if isinstance(part, tuple) and isinstance(last, tuple) and last[0] is part[0] and last[2] == part[1]:
                    out[-1] = (part[0], last[1], part[2])
                else:
                    out.append(part)
    if run:
        out.append(_join(run))
    return out


def _join(parts: list[list[list]]) -> list[list]:
    """Batches' columns, each batch's values after the one before's."""
    if len(parts) == 1:
        return parts[0]
    joined = []
    for columns in zip(*parts):
        values: list = []
        for column in columns:  # (extending a list copies a list's or a tuple's items at once:
            values += column  # a quarter of the time of chaining them one by one)
        joined.append(values)
    return joined


def to_arrow(rows: Any) -> pa.Table:
    """``rows`` as a pyarrow table (a pyarrow table as it is)."""
    return rows.to_arrow() if isinstance(rows, Rows) else rows
