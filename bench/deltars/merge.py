"""delta-rs baselines of the ingest benchmark (bench only; never part of Tidemark's runtime).

  merge.py load --table URI --csv v1.csv
      P1/P7: reads the CSV with pyarrow.csv, adds a `month` column (obs_date as YYYY-MM) and writes a
      fresh Delta table partitioned by it with write_deltalake. Prints read_ms, write_ms and
      total_ms (read + write, timed inside Python).
  merge.py build --table URI --csv base.csv [--csv more.csv ...]
      writes a fresh, unpartitioned Delta table holding the CSVs (not timed by the bench).
  merge.py merge --table URI --csv FILE [--changed-only]
      P2/P4: reads FILE with pyarrow.csv and upserts it on (series_id, obs_date) with
      DeltaTable.merge: when_not_matched_insert_all and when_matched_update_all. The two variants:
      without --changed-only every matched row is updated ("update-all"); with it the matched
      update fires only when the value differs (predicate t.value IS DISTINCT FROM s.value,
      "changed-only"). Both reach the same table state. Prints read_ms, merge_ms, total_ms
      (read + merge, timed inside Python) and the merge metrics.

S3 tables (s3://…) take their endpoint and credentials from DELTARS_STORAGE_OPTIONS (JSON).
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from deltalake import DeltaTable, write_deltalake

SCHEMA = pa.schema([("series_id", pa.string()), ("obs_date", pa.date32()), ("value", pa.float64())])


def storage_options():
    raw = os.environ.get("DELTARS_STORAGE_OPTIONS")
    return json.loads(raw) if raw else None


def read_csv(path):
    convert = pcsv.ConvertOptions(column_types=SCHEMA, include_columns=SCHEMA.names)
    return pcsv.read_csv(path, convert_options=convert)


def ms(seconds):
    return round(seconds * 1000)


def load(args):
    t0 = time.perf_counter()
    table = read_csv(args.csv[0])
    t1 = time.perf_counter()
    month = pc.strftime(pc.cast(table["obs_date"], pa.timestamp("s")), format="%Y-%m")
    write_deltalake(args.table, table.append_column("month", month), mode="overwrite", partition_by=["month"], storage_options=storage_options())
    t2 = time.perf_counter()
    return {"rows": table.num_rows, "read_ms": ms(t1 - t0), "write_ms": ms(t2 - t1), "total_ms": ms(t2 - t0)}


def build(args):
    t0 = time.perf_counter()
    rows = 0
    for i, path in enumerate(args.csv):
        table = read_csv(path)
        rows += table.num_rows
        write_deltalake(args.table, table, mode="overwrite" if i == 0 else "append", storage_options=storage_options())
    return {"rows": rows, "build_ms": ms(time.perf_counter() - t0)}


def merge(args):
    t0 = time.perf_counter()
    source = read_csv(args.csv[0])
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
        "read_ms": ms(t1 - t0),
        "merge_ms": ms(t2 - t1),
        "total_ms": ms(t2 - t0),
        "metrics": {k: metrics.get(k) for k in keep if k in metrics},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["load", "build", "merge"])
    parser.add_argument("--table", required=True)
    parser.add_argument("--csv", required=True, action="append")
    parser.add_argument("--changed-only", action="store_true")
    args = parser.parse_args()
    result = {"load": load, "build": build, "merge": merge}[args.command](args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
