"""delta-rs baseline of the ingest benchmark's P2 (bench only; never part of Tidemark's runtime).

  merge.py build --table URI --csv v1.csv
      writes a fresh Delta table holding the first snapshot (not timed by the bench).
  merge.py merge --table URI --csv FILE [--changed-only]
      reads FILE with pyarrow.csv and upserts it on (series_id, obs_date) with DeltaTable.merge:
      when_matched_update_all / when_not_matched_insert_all. With --changed-only the matched
      update only fires when the value differs (the honest equivalent of a snapshot whose
      unchanged rows must not be rewritten). Prints one JSON line: read_ms, merge_ms, total_ms
      (read + merge, timed inside Python) and the merge metrics.

S3 tables (s3://…) take their endpoint and credentials from DELTARS_STORAGE_OPTIONS (JSON).
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.csv as pcsv
from deltalake import DeltaTable, write_deltalake

SCHEMA = pa.schema([("series_id", pa.string()), ("obs_date", pa.date32()), ("value", pa.float64())])


def storage_options():
    raw = os.environ.get("DELTARS_STORAGE_OPTIONS")
    return json.loads(raw) if raw else None


def read_csv(path):
    convert = pcsv.ConvertOptions(column_types=SCHEMA, include_columns=SCHEMA.names)
    return pcsv.read_csv(path, convert_options=convert)


def build(args):
    t0 = time.perf_counter()
    table = read_csv(args.csv)
    write_deltalake(args.table, table, mode="overwrite", storage_options=storage_options())
    return {"rows": table.num_rows, "build_ms": round((time.perf_counter() - t0) * 1000)}


def merge(args):
    t0 = time.perf_counter()
    source = read_csv(args.csv)
    t1 = time.perf_counter()
    target = DeltaTable(args.table, storage_options=storage_options())
    builder = target.merge(
        source=source,
        predicate="t.series_id = s.series_id AND t.obs_date = s.obs_date",
        source_alias="s",
        target_alias="t",
    )
    update = "t.value IS DISTINCT FROM s.value" if args.changed_only else None
    metrics = builder.when_matched_update_all(predicate=update).when_not_matched_insert_all().execute()
    t2 = time.perf_counter()
    keep = ("num_source_rows", "num_target_rows_inserted", "num_target_rows_updated", "num_target_rows_copied", "num_target_files_added", "num_target_files_removed")
    return {
        "rows": source.num_rows,
        "read_ms": round((t1 - t0) * 1000),
        "merge_ms": round((t2 - t1) * 1000),
        "total_ms": round((t2 - t0) * 1000),
        "metrics": {k: metrics.get(k) for k in keep if k in metrics},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["build", "merge"])
    parser.add_argument("--table", required=True)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--changed-only", action="store_true")
    args = parser.parse_args()
    result = build(args) if args.command == "build" else merge(args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
