/**
 * Normalize of a push dataset's compaction source: the concatenated inbox fragments, NDJSON that
 * the intake server already validated and normalized (src/intake/encode.ts), read by DuckDB with
 * the dataset's types into the run's normalized Parquet, in fragment and line order.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { partitionColumn } from "../../definition/partition.js";
import type { ColumnDefinition, DatasetDefinition } from "../../definition/schema.js";
import { SCRATCH_PARQUET, sqlIdent, sqlString } from "../sql.js";
import { duckdbType, inPartitionRangeSql } from "./columns-sql.js";

/** Largest NDJSON line DuckDB accepts here (the server's record limit is far below it). */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

/**
 * The value of `column` in the read, refusing what the server never writes and no version may
 * hold: a null key column, a null in a column the definition makes not nullable (a fragment
 * written before the definition said so), a partition column null or outside the partition years
 * (a DuckDB "Invalid Input Error", so the fragment holding it is set aside like one that does not parse).
 */
function checkedColumn(def: DatasetDefinition, column: ColumnDefinition): string {
  const x = sqlIdent(column.name);
  const name = JSON.stringify(column.name);
  if (def.schema.key.includes(column.name)) return `CASE WHEN ${x} IS NULL THEN error(${sqlString(`Key column ${name} is null.`)}) ELSE ${x} END AS ${x}`;
  if (column.name !== partitionColumn(def.schema.partition_by)) {
    if (column.nullable) return x;
    return `CASE WHEN ${x} IS NULL THEN error(${sqlString(`Column ${name} is null, which its definition does not allow (nullable: false).`)}) ELSE ${x} END AS ${x}`;
  }
  const reason = `Partition column ${name} is null or outside the partition years 1000–9999.`;
  return `CASE WHEN ${x} IS NULL OR NOT ${inPartitionRangeSql(column, x)} THEN error(${sqlString(reason)}) ELSE ${x} END AS ${x}`;
}

/** The COPY that turns fragment NDJSON at `sourcePath` into the normalized Parquet at `outPath`. Pure. */
export function fragmentsCopySql(def: DatasetDefinition, sourcePath: string, outPath: string): string {
  const columns = def.schema.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c))}`).join(", ");
  const select = def.schema.columns.map((c) => checkedColumn(def, c)).join(", ");
  const read = `read_json(${sqlString(sourcePath)}, format = 'newline_delimited', records = true, columns = {${columns}}, maximum_object_size = ${MAX_OBJECT_BYTES}, hive_partitioning = false)`;
  return `COPY (SELECT ${select} FROM ${read}) TO ${sqlString(outPath)} (${SCRATCH_PARQUET})`;
}

/** Writes the normalized Parquet of a compaction's fragments; returns its row count. */
export async function normalizeFragments(connection: DuckDBConnection, def: DatasetDefinition, sourcePath: string, outPath: string): Promise<number> {
  const rows = (await connection.runAndReadAll(fragmentsCopySql(def, sourcePath, outPath))).getRows();
  return Number(rows[0][0]);
}
