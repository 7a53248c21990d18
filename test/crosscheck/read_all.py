"""Reads every Parquet file named on stdin (one path per line) with pyarrow and prints, per file,
its row count, column names and types, and the values of its first column (JSON lines)."""
import json
import sys

import pyarrow.parquet as pq

for line in sys.stdin:
    path = line.strip()
    if not path:
        continue
    table = pq.read_table(path)
    first = table.column(0).to_pylist() if table.num_columns else []
    print(json.dumps({
        "path": path,
        "rows": table.num_rows,
        "columns": [[f.name, str(f.type)] for f in table.schema],
        "first": [v if isinstance(v, (str, int, float, type(None))) else str(v) for v in first],
    }))
