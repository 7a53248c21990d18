import type { Table } from "apache-arrow";
import { decodeParquet, encodeParquet } from "../src/parquet/codec";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";

/** Scratch objects of a run, under `runs/<version>/`. */
export const SCRATCH = {
  source: "source",
  normalized: "normalized.parquet",
  changes: "changes.parquet",
  removals: "removals.parquet",
  quarantine: "quarantine.ndjson",
} as const;

/** Reads a whole Parquet object into an Arrow table. */
export async function readTable(store: ObjectStore, key: string): Promise<Table> {
  const { body } = await store.get(key);
  return decodeParquet(body);
}

/** Writes a table as Parquet, create-only (an identical retry counts as done); returns its size. */
export async function writeTableOnce(store: ObjectStore, key: string, table: Table): Promise<number> {
  const bytes = encodeParquet(table);
  await writeOnce(store, key, bytes);
  return bytes.length;
}

/** Writes a scratch table, replacing any earlier attempt's. */
export async function writeScratchTable(store: ObjectStore, key: string, table: Table): Promise<number> {
  const bytes = encodeParquet(table);
  await store.put(key, bytes, { kind: "overwrite" });
  return bytes.length;
}
