import type { DatasetDefinition } from "../definition";
import type { ColumnType } from "../definition/schema";
import { sqlStringList } from "./sql";
import type { EngineTask } from "./task";
import { actualIndexSql, compareIndexSql, expectedIndexSql, type IndexCheckTables } from "./verify-sql";

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
export async function schemaOfFiles(task: EngineTask, files: string[], schema: { columns: { name: string }[]; key: string[]; partition_by: string }): Promise<DatasetDefinition> {
  const described = await task.rows<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${sqlStringList(files)}, union_by_name = true)`);
  const types = new Map(described.map((d) => [d.column_name, columnType(d.column_type)]));
  const columns = schema.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? "string", from: c.name, trim: true, nullable: true }));
  return { schema: { columns, key: schema.key, partition_by: schema.partition_by } } as unknown as DatasetDefinition;
}

/** Compares index files with the fold of every event file of the chain (SPEC §5), all rehashed by the engine. */
export async function checkIndex(task: EngineTask, schema: DatasetDefinition["schema"] | { columns: { name: string }[]; key: string[]; partition_by: string }, eventFiles: string[], indexFiles: string[]): Promise<IndexComparison> {
  const t: IndexCheckTables = { expected: task.table("expected"), actual: task.table("actual") };
  if (eventFiles.length === 0) {
    await task.exec(`CREATE TABLE ${t.expected} AS SELECT NULL::BLOB AS k, NULL::BLOB AS r, NULL::INTEGER AS m WHERE false`);
  } else {
    const definition = await schemaOfFiles(task, eventFiles, schema);
    await task.exec(expectedIndexSql(definition, eventFiles, t));
  }
  await task.exec(actualIndexSql(indexFiles, t));
  const [row] = await task.rows<Record<keyof IndexComparison, number>>(compareIndexSql(t));
  return { expected: Number(row.expected), matched: Number(row.matched), wrong: Number(row.wrong), extra: Number(row.extra), duplicates: Number(row.duplicates) };
}
