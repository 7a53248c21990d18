import type { DatasetDefinition } from "../definition";
import type { PartitionBy } from "../definition/partition";
import type { ColumnType } from "../definition/schema";
import { readParquet } from "./sql";
import type { EngineTask } from "./task";
import { actualIndexSql, compareIndexSql, type IndexCheckTables } from "./verify-sql";

/** Outcome of {@link checkIndex}. */
export interface IndexComparison {
  /** Live keys the events leave. */
  expected: number;
  matched: number;
  wrong: number;
  extra: number;
  duplicates: number;
}

function columnType(duckType: string): ColumnType {
  if (duckType === "BIGINT" || duckType === "INTEGER") return "int";
  if (duckType === "DOUBLE" || duckType === "FLOAT") return "double";
  if (duckType === "BOOLEAN") return "bool";
  if (duckType === "DATE") return "date";
  if (duckType.startsWith("TIMESTAMP")) return "timestamp";
  return "string";
}

/**
 * The hashing view of a dataset whose files are read back: column types as the files store them
 * (a `decimal` kept as a string hashes as a string, one kept as a double as a double).
 */
export async function schemaOfFiles(task: EngineTask, files: string[], schema: { columns: { name: string }[]; key: string[]; partition_by: PartitionBy }): Promise<DatasetDefinition> {
  const described = await task.rows<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${readParquet(files, "union_by_name = true")}`);
  const types = new Map(described.map((d) => [d.column_name, columnType(d.column_type)]));
  const columns = schema.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? "string", from: c.name, trim: true, nullable: true }));
  return { schema: { columns, key: schema.key, partition_by: schema.partition_by } } as unknown as DatasetDefinition;
}

/** {@link IndexComparison}, or why the index files could not be read as an index. */
export type IndexCheck = IndexComparison & { malformed?: string };

/**
 * Compares index files (base files and delta layers, oldest first) with the fold made by `foldEvents`
 * (task table `live`): a key live in two months counts once, in its first month.
 */
export async function checkIndexAgainstFold(task: EngineTask, index: { files: string[]; deltas: string[] }): Promise<IndexCheck> {
  const t: IndexCheckTables = { expected: task.table("expected"), actual: task.table("actual") };
  await task.exec(`CREATE TABLE ${t.expected} AS SELECT DISTINCT ON (_k) _k AS k, _r AS r, _m AS m FROM ${task.table("live")} ORDER BY _k, _m`);
  try {
    await task.exec(actualIndexSql(index, t));
  } catch (err) {
    const message = (err as Error).message.split("\n")[0].replace(/\.$/, "");
    return { expected: 0, matched: 0, wrong: 0, extra: 0, duplicates: 0, malformed: `it lacks the columns key_hash, row_hash and month, or their types: ${message}` };
  }
  const [row] = await task.rows<Record<keyof IndexComparison, number>>(compareIndexSql(t));
  return { expected: Number(row.expected), matched: Number(row.matched), wrong: Number(row.wrong), extra: Number(row.extra), duplicates: Number(row.duplicates) };
}
