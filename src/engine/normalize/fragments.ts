/**
 * Normalize of a push dataset's compaction source: the concatenated inbox fragments, NDJSON that
 * the intake server already validated and normalized (src/intake/encode.ts), read by DuckDB with
 * the dataset's types into the run's normalized Parquet, in fragment and line order.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DatasetDefinition } from "../../definition/schema.js";
import { SCRATCH_PARQUET, sqlIdent, sqlString } from "../sql.js";
import { duckdbType } from "./columns-sql.js";

/** Largest NDJSON line DuckDB accepts here (the server's record limit is far below it). */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/** The COPY that turns fragment NDJSON at `sourcePath` into the normalized Parquet at `outPath`. Pure. */
export function fragmentsCopySql(def: DatasetDefinition, sourcePath: string, outPath: string): string {
  const columns = def.schema.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c))}`).join(", ");
  const select = def.schema.columns.map((c) => sqlIdent(c.name)).join(", ");
  const read = `read_json(${sqlString(sourcePath)}, format = 'newline_delimited', records = true, columns = {${columns}}, maximum_object_size = ${MAX_OBJECT_BYTES})`;
  return `COPY (SELECT ${select} FROM ${read}) TO ${sqlString(outPath)} (${SCRATCH_PARQUET})`;
}

/** Writes the normalized Parquet of a compaction's fragments; returns its row count. */
export async function normalizeFragments(connection: DuckDBConnection, def: DatasetDefinition, sourcePath: string, outPath: string): Promise<number> {
  const rows = (await connection.runAndReadAll(fragmentsCopySql(def, sourcePath, outPath))).getRows();
  return Number(rows[0][0]);
}
