"""``redline attach``: a DuckDB file whose tables are views over a dataset.

Every table of :mod:`redline.schema` becomes a view over its Parquet files, with the schema's
columns and types, and the views of :data:`redline.schema.VIEWS` (``current_labels``) are made
over those, so every command that reads a database (``report``, ``sql``, ``eval``,
``compare``, ``findings``...) reads the dataset unchanged. The file also records the schema
version the dataset was written at (``schema_migrations``) and which dataset it shows
(:data:`redline.db.ATTACHED_TABLE`); :func:`redline.db.connect` refuses to write to it.

The views are *live*: each reads the table folder's Parquet files that the dataset's manifest
names at the moment the query runs, so an attached database follows the dataset as it is
ingested into and re-labelled, and never shows a file a writer has not committed. The dataset
may be a local folder or an object-store URI (``s3://bucket/prefix``, ``gs://...``) read
through DuckDB's own ``httpfs`` extension with the credentials DuckDB finds (a persistent
DuckDB secret); redline itself writes datasets to a filesystem only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import db as dbmod
from .. import schema
from ..migrations import dataset_readable, dataset_versions
from ..limits import MANIFEST_MAX_BYTES
from .layout import MANIFEST, TABLES, ident, quote, select_list
from .manifest import DatasetError, Manifest

#: a URI DuckDB reads through one of its filesystems (s3://, gs://, https://, ...)
REMOTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def normalise(uri: str | os.PathLike[str]) -> str:
    """A dataset's location as the views name it: an object-store URI as given, a local path
    made absolute."""
    text = os.fspath(uri)
    if REMOTE.match(text):
        return text.rstrip("/")
    return str(Path(text).resolve())


def _join(uri: str, rel: str) -> str:
    return f"{uri}/{rel}"


def snapshot_sources(files: dict[str, list[str]]) -> dict[str, str]:
    """Each table as a query over a fixed list of files (a writer's own view of its dataset)."""
    return {table: f"SELECT {select_list(table)} FROM read_parquet([{', '.join(quote(f) for f in paths)}])"
            for table, paths in files.items()}


def live_sources(uri: str) -> dict[str, str]:
    """Each table as a query over the files the dataset's manifest names when the query runs."""
    struct = ", ".join(f"{ident(t)} VARCHAR[]" for t in TABLES)
    manifest = (f"read_json({quote(_join(uri, MANIFEST))}, columns={{'files': {quote(f'STRUCT({struct})')}}}, "
                f"maximum_object_size={MANIFEST_MAX_BYTES})")
    prefix = quote(uri + "/")
    return {
        table: (f"SELECT {select_list(table)} FROM read_parquet({quote(_join(uri, table + '/*.parquet'))}, "
                f"filename=true) WHERE filename IN (SELECT {prefix} || unnest(files.{ident(table)}) FROM {manifest})")
        for table in TABLES
    }


def create_views(con: duckdb.DuckDBPyConnection, sources: dict[str, str]) -> None:
    """Every table of the schema as a view over ``sources``, then the schema's own views, each
    with the descriptions of :mod:`redline.schema`."""
    for table in schema.TABLES:
        con.execute(f"CREATE OR REPLACE VIEW {table.name} AS {sources[table.name]}")
        con.execute(f"COMMENT ON VIEW {table.name} IS {quote(table.doc)}")
        for col in table.columns:
            con.execute(f"COMMENT ON COLUMN {table.name}.{ident(col.name)} IS {quote(col.doc)}")
    for name, query in schema.VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")


def read_manifest(con: duckdb.DuckDBPyConnection, uri: str) -> Manifest:
    """The manifest of the dataset at ``uri``, read through DuckDB (so object stores work)."""
    where = _join(uri, MANIFEST)
    try:
        rows = con.execute("SELECT content FROM read_text(?)", [where]).fetchall()
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(f"{uri}: not a readable redline dataset ({reason})") from None
    if not rows:
        raise DatasetError(f"{uri}: not a redline dataset (no {MANIFEST})")
    return Manifest.from_json(rows[0][0], where)


@dataclass
class Attached:
    uri: str
    db_path: str
    shards: int
    trials: int
    generation: int


def _check_target(db_path: str) -> None:
    """The file must be new, or a database attached earlier (its views are then replaced):
    never a database with tables of its own."""
    path = Path(db_path)
    if not path.exists():
        return
    if path.is_dir():
        raise DatasetError(f"{db_path}: is a folder; name a new file for the attached database")
    try:
        con = duckdb.connect(db_path, read_only=True)
    except duckdb.Error as exc:
        raise DatasetError(f"{db_path}: exists and is not a DuckDB database ({str(exc).splitlines()[0]}); "
                           "name a new file") from None
    try:
        if dbmod.attached_dataset(con) is not None:
            return
        tables = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                             ).fetchall()[0][0]
    finally:
        con.close()
    if tables:
        raise DatasetError(f"{db_path}: holds a database with tables of its own; attach into a new file "
                           "(or export that database with 'redline export')")


def attach(uri: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> Attached:
    """Make (or refresh) ``db_path`` a DuckDB file whose tables are live views over the dataset
    at ``uri``; returns what it shows. The dataset must be of a schema version this redline reads
    (:func:`redline.migrations.dataset_readable`)."""
    uri = normalise(uri)
    db_path = os.fspath(db_path)
    _check_target(db_path)
    new = not Path(db_path).exists()
    con = duckdb.connect(db_path)
    try:
        manifest = read_manifest(con, uri)
        if not dataset_readable(manifest.schema_version):
            raise DatasetError(
                f"{uri}: a dataset of schema version {manifest.schema_version}; this redline reads versions "
                f"{dataset_versions()}. Attach it with the redline that wrote it")
        with dbmod.transaction(con):
            con.execute(dbmod.MIGRATIONS_TABLE)
            con.execute("DELETE FROM schema_migrations")
            # the views have this redline's tables (a readable dataset's columns are theirs)
            for version, name, _ in dbmod.MIGRATIONS:
                con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute(f"CREATE OR REPLACE TABLE {dbmod.ATTACHED_TABLE} (uri VARCHAR NOT NULL, "
                        "schema_version INTEGER NOT NULL, attached_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
            con.execute(f"INSERT INTO {dbmod.ATTACHED_TABLE} (uri, schema_version) VALUES (?, ?)",
                        [uri, manifest.schema_version])
            create_views(con, live_sources(uri))
        try:
            trials = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
        except duckdb.Error as exc:
            raise DatasetError(f"{uri}: attached, but its files cannot be read: {str(exc).splitlines()[0]}") from None
    except BaseException:
        con.close()
        if new:  # leave no half-made file behind
            for leftover in (db_path, db_path + ".wal"):
                Path(leftover).unlink(missing_ok=True)
        raise
    con.close()
    return Attached(uri=uri, db_path=db_path, shards=len(manifest.shards), trials=trials,
                    generation=manifest.generation)
