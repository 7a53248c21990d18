/**
 * Normalize of any staged source to one Parquet file: push fragments and the CSV sources DuckDB reads
 * exactly like Tidemark's own reader on the engine, everything else through Tidemark's reader.
 */
import { writeFile } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DatasetDefinition } from "../../definition/schema.js";
import type { ReadLimits } from "../../formats/index.js";
import { normalizeSource } from "../../normalize/index.js";
import type { BadRow } from "../../normalize/errors.js";
import { encodeParquet } from "../../parquet/codec.js";
import type { SetAsideFragment } from "../../intake/set-aside.js";
import { type FragmentReader, normalizeFragmentsSettingAside } from "./fragment-triage.js";
import { normalizeFragments } from "./fragments.js";
import { normalizeWithEngine } from "./normalize.js";

/** What {@link normalizeToParquet} read: rows kept, bad rows, and which reader it used. */
export interface NormalizedSource {
  rows: number;
  badRows: BadRow[];
  badRowCount: number | undefined;
  engine: "duckdb" | "js";
  /** Push fragments not applied because DuckDB cannot read them (only with `readFragment`). */
  setAside?: SetAsideFragment[];
}

/** Input of {@link normalizeToParquet}. */
export interface NormalizeToParquetInput {
  readonly definition: DatasetDefinition;
  /** The source as fetched: its name in messages comes from `uri`; `fragments` marks a push dataset's inbox. */
  readonly source: { uri: string; bytes: number; fragments?: string[] };
  /** Local path of the staged source. */
  readonly sourcePath: string;
  /** Where the Parquet file goes. */
  readonly outPath: string;
  readonly limits?: ReadLimits;
  /** Told why DuckDB cannot read the source exactly (Tidemark's reader then does). */
  readonly onFallback?: (reason: string) => void;
  /** Rows read so far by Tidemark's reader. */
  readonly onProgress?: (rows: number) => void;
  /** Push datasets: reads one fragment again, so that fragments DuckDB cannot read are set aside instead of failing the run. */
  readonly readFragment?: FragmentReader;
  /** Hears how many fragments were read alone while finding those to set aside. */
  readonly onFragmentChecked?: (checked: number) => void;
}

/**
 * Parses, casts and validates the staged source into the Parquet file `outPath`. DuckDB reads push
 * fragments and the CSV sources it can read exactly as Tidemark's own reader does (same rows, types,
 * bad rows and errors; bounded memory, spilling); every other source goes through Tidemark's reader.
 */
export async function normalizeToParquet(connection: DuckDBConnection, input: NormalizeToParquetInput): Promise<NormalizedSource> {
  const { definition, source, sourcePath, outPath, limits } = input;
  if (source.fragments && input.readFragment) {
    const done = await normalizeFragmentsSettingAside(connection, definition, { sourcePath, outPath, fragments: source.fragments, read: input.readFragment, onProgress: input.onFragmentChecked });
    return { rows: done.rows, badRows: [], badRowCount: 0, engine: "duckdb", ...(done.setAside.length > 0 ? { setAside: done.setAside } : {}) };
  }
  if (source.fragments) return { rows: await normalizeFragments(connection, definition, sourcePath, outPath), badRows: [], badRowCount: 0, engine: "duckdb" };
  const fileLabel = source.uri.split("/").pop() || source.uri;
  const done = await normalizeWithEngine(connection, { definition, sourcePath, outPath, fileLabel, limits, onFallback: input.onFallback });
  if (done) return { rows: done.rows, badRows: done.badRows, badRowCount: done.badRowCount, engine: "duckdb" };
  const result = await normalizeSource({ definition, input: sourcePath, fileLabel, sizeHint: source.bytes, limits, onProgress: input.onProgress });
  await writeFile(outPath, encodeParquet(result.table, { dictionary: "sampled" }));
  return { rows: result.table.numRows, badRows: result.badRows, badRowCount: result.badRowCount, engine: "js" };
}
