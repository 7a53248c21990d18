import { mkdtempSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type DatasetDefinition, parseDefinition } from "../../../src/definition";
import { Engine } from "../../../src/engine/connection";
import { normalizeWithEngine } from "../../../src/engine/normalize";
import type { ReadLimits } from "../../../src/formats";
import { type BadRow, normalizeSource } from "../../../src/normalize";
import { encodeParquet } from "../../../src/parquet/codec";

/** A definition from YAML parts (a CSV source unless `source` says otherwise). */
export function definition(parts: { options?: string; columns: string; key?: string; partition?: string; extra?: string; uri?: string }): DatasetDefinition {
  return parseDefinition(
    `id: t
source: { uri: "${parts.uri ?? "file:///data/s.csv"}"${parts.options ? `, options: ${parts.options}` : ""} }
schema:
  columns:${parts.columns}
  key: ${parts.key ?? "[id, d]"}
  partition_by: ${parts.partition ?? "d"}
${parts.extra ?? ""}`,
    "t.yaml",
  );
}

/** What one path did: its error (class name and message), or its outcome and the rows it wrote. */
export interface Outcome {
  readonly error?: { name: string; message: string; rows?: readonly BadRow[]; count?: number };
  readonly rowsRead?: number;
  readonly badRows?: BadRow[];
  readonly badRowCount?: number;
  /** Each row as strings (doubles keep -0 and NaN apart, timestamps as epoch µs). */
  readonly rows?: string[][];
  /**
   * Parquet schema leaves: name, physical type, converted type, repetition, and the logical type of
   * timestamps (DuckDB does not write the String/Date logical annotations arrow-rs adds beside the
   * converted types UTF8/DATE, so those are compared through the converted type).
   */
  readonly schema?: string[][];
}

/** The result of running both normalizers on one source. */
export interface Differential {
  readonly js: Outcome;
  /** Null when the engine path declined (then `reason` says why). */
  readonly engine: Outcome | null;
  readonly reason: string | null;
}

let reader: Promise<DuckDBInstance> | undefined;

function errorOf(err: unknown): Outcome {
  if (!(err instanceof Error)) throw err;
  const e = err as Error & { rows?: readonly BadRow[]; count?: number };
  return { error: { name: e.name, message: e.message, ...(e.rows ? { rows: e.rows, count: e.count } : {}) } };
}

/** Reads a Parquet file back (an independent DuckDB, insertion order kept): rows as strings, and its schema leaves. */
export async function readBack(path: string): Promise<{ rows: string[][]; schema: string[][] }> {
  reader ??= DuckDBInstance.create(":memory:", { threads: "1" });
  const c = await (await reader).connect();
  try {
    const file = `'${path.replaceAll("'", "''")}'`;
    const schema = (await c.runAndReadAll(`SELECT name, type, converted_type, repetition_type, CASE WHEN logical_type::VARCHAR LIKE 'TimestampType%' THEN logical_type::VARCHAR END FROM parquet_schema(${file}) WHERE num_children IS NULL OR num_children = 0`)).getRows();
    const described = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file}, hive_partitioning = false)`)).getRows();
    const cols = described.map(([name, type]) => {
      const q = `"${String(name).replaceAll('"', '""')}"`;
      if (type === "DOUBLE") return `CASE WHEN isnan(${q}) THEN 'NaN' WHEN ${q} = 0 AND signbit(${q}) THEN '-0' ELSE ${q}::VARCHAR END`;
      if (String(type).startsWith("TIMESTAMP")) return `epoch_us(${q})::VARCHAR`;
      return `${q}::VARCHAR`;
    });
    const rows = (await c.runAndReadAll(`SELECT ${cols.join(", ")} FROM read_parquet(${file}, hive_partitioning = false)`)).getRows().map((r) => r.map((v) => (v === null ? "<null>" : String(v))));
    // DuckDB annotates BIGINT with the converted type INT_64, arrow-rs leaves Int64 unannotated: both mean a signed 64-bit integer.
    return { rows, schema: schema.map((r) => r.map((v) => (v === "INT_64" ? "null" : String(v)))) };
  } finally {
    c.closeSync();
  }
}

/** Runs the JS normalizer (+ the Parquet codec) and the engine on the same bytes. */
export async function differential(engine: Engine, def: DatasetDefinition, bytes: string | Buffer, options: { limits?: ReadLimits; name?: string } = {}): Promise<Differential> {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-norm-"));
  const source = join(dir, options.name ?? "s.csv");
  writeFileSync(source, bytes);
  const fileLabel = "s.csv";
  let js: Outcome;
  try {
    const r = await normalizeSource({ definition: def, input: source, fileLabel, limits: options.limits });
    const out = join(dir, "js.parquet");
    await writeFile(out, encodeParquet(r.table));
    js = { rowsRead: r.rowsRead, badRows: r.badRows, badRowCount: r.badRowCount, ...(await readBack(out)) };
  } catch (err) {
    js = errorOf(err);
  }
  let reason: string | null = null;
  let result: Outcome | null;
  try {
    const out = join(dir, "engine.parquet");
    const r = await engine.with((c) => normalizeWithEngine(c, { definition: def, sourcePath: source, outPath: out, fileLabel, limits: options.limits, onFallback: (why) => (reason = why) }));
    result = r === null ? null : { rowsRead: r.rowsRead, badRows: r.badRows, badRowCount: r.badRowCount, ...(await readBack(out)) };
  } catch (err) {
    result = errorOf(err);
  }
  return { js, engine: result, reason };
}

/** An engine for tests: 2 threads, a small memory limit, its own spill directory. */
export function testEngine(): Promise<Engine> {
  return Engine.open({ memoryLimit: "512MB", threads: 2, tempDirectory: mkdtempSync(join(tmpdir(), "tidemark-engine-")) });
}
