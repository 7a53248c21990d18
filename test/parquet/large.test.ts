import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { date32Column, decodeParquet, decodeParquetBatches, encodeParquet, float64Column, parquetMetadata, tableFrom, utf8Column } from "../../src/parquet";
import { lit, openDuck, rows } from "../support/duck";

const N = 1_000_000;
const SERIES = 5000;
const dir = mkdtempSync(join(tmpdir(), "tidemark-large-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function timer(): () => string {
  const wall = performance.now();
  const cpu = cpuMs();
  return () => `${Math.round(performance.now() - wall)} ms (cpu ${Math.round(cpuMs() - cpu)} ms)`;
}

it("builds, encodes and decodes 1M rows that DuckDB reads back identically", async () => {
  const keys = Array.from({ length: N }, (_, i) => `DE.GDP.${(i % SERIES).toString().padStart(4, "0")}.Q`);
  const values = Float64Array.from({ length: N }, (_, i) => i * 0.5 - 1000);
  const days = Int32Array.from({ length: N }, (_, i) => 18000 + (i % 3650));

  let elapsed = timer();
  const table = tableFrom({ k: utf8Column(keys), f: float64Column(values), dt: date32Column(days) });
  const built = elapsed();
  elapsed = timer();
  const bytes = encodeParquet(table);
  const encoded = elapsed();
  elapsed = timer();
  const decoded = decodeParquet(bytes);
  const decodedIn = elapsed();
  elapsed = timer();
  let streamedRows = 0;
  for await (const batch of decodeParquetBatches(bytes)) streamedRows += batch.numRows;
  const streamedIn = elapsed();
  console.log(
    `[parquet 1M rows] build ${built}, encode ${encoded} (${(bytes.length / 1e6).toFixed(1)} MB), ` +
      `decodeParquet ${decodedIn}, decodeParquetBatches ${streamedIn}`,
  );

  const meta = parquetMetadata(bytes);
  expect(meta.numRows).toBe(N);
  expect(meta.numRowGroups).toBe(Math.ceil(N / (128 * 1024)));
  expect(decoded.numRows).toBe(N);
  expect(streamedRows).toBe(N);

  const samples = [0, 1, 4999, 5000, 131071, 131072, 777777, N - 1];
  for (const i of samples) {
    expect(decoded.get(i)?.toJSON()).toEqual({ k: keys[i], f: values[i], dt: days[i] * 86_400_000 });
  }

  const path = join(dir, "large.parquet");
  writeFileSync(path, bytes);
  const duck = await openDuck();
  try {
    const [totals] = await rows(
      duck.conn,
      `SELECT count(*) AS n, count(DISTINCT k) AS keys, sum(f) AS total, min(dt) AS lo, max(dt) AS hi FROM read_parquet(${lit(path)})`,
    );
    expect(totals).toEqual({ n: BigInt(N), keys: BigInt(SERIES), total: values.reduce((a, b) => a + b, 0), lo: 18000, hi: 18000 + 3649 });
    const sampled = await rows(
      duck.conn,
      `SELECT file_row_number AS i, k, f, dt FROM read_parquet(${lit(path)}, file_row_number = true)
       WHERE file_row_number IN (${samples.join(", ")}) ORDER BY file_row_number`,
    );
    expect(sampled).toEqual(samples.map((i) => ({ i: BigInt(i), k: keys[i], f: values[i], dt: days[i] })));
  } finally {
    duck.close();
  }
}, 300_000);
