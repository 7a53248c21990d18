import { DuckDBInstance } from "@duckdb/node-api";
import { readFileSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** DuckDB's CSV→Parquet baseline of P1; `upload` (MinIO) also PUTs the file, inside the timing. */
export async function duckdbCopy(csv: string, parquet: string, upload?: (body: Buffer) => Promise<void>): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    rmSync(parquet, { force: true });
    const t0 = performance.now();
    await conn.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`);
    if (upload) await upload(readFileSync(parquet));
    return Math.round(performance.now() - t0);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
