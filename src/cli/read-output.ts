/** The row output of `tidemark read`: projection files decoded with parquet-wasm and written as CSV, NDJSON or Parquet. */
import { Table, Type, type Vector } from "apache-arrow";
import { DatasetLayout } from "../layout";
import { decodeParquet, encodeParquet, utf8Column } from "../parquet";
import type { ObjectStore } from "../store/types";
import type { VersionFile } from "./dataset-view";
import { mergeSortedParts } from "./merge-parts";
import { batchRows, csvLine, jsonLine } from "./render";

/** Writes to stdout with backpressure; stops quietly once the reader goes away (`| head`). */
export class Stdout {
  closed = false;
  private readonly onError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    this.closed = true;
  };
  constructor() {
    process.stdout.on("error", this.onError);
  }
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.closed || process.stdout.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        process.stdout.off("drain", done);
        process.stdout.off("error", done);
        resolve();
      };
      process.stdout.once("drain", done);
      process.stdout.once("error", done);
    });
  }
  dispose(): void {
    process.stdout.off("error", this.onError);
  }
}

function plainStrings(table: Table): Table {
  if (!table.schema.fields.some((f) => f.type.typeId === Type.Dictionary)) return table;
  const columns: Record<string, Vector> = {};
  for (const f of table.schema.fields) {
    const v = table.getChild(f.name)!;
    columns[f.name] = f.type.typeId === Type.Dictionary ? utf8Column(Array.from({ length: v.length }, (_, i) => v.get(i) as string | null)) : v;
  }
  return new Table(columns);
}

/** The version's rows, month by month: a month of several part files is merged in key order. */
export async function* tables(store: ObjectStore, dataset: string, files: VersionFile[], limit: number, key: string[]): AsyncGenerator<Table> {
  const layout = new DatasetLayout(dataset);
  const months = new Map<string, VersionFile[]>();
  for (const file of files) months.set(file.month, [...(months.get(file.month) ?? []), file]);
  let left = limit;
  for (const parts of months.values()) {
    if (left <= 0) return;
    const decoded = await Promise.all(parts.map(async (f) => decodeParquet((await store.get(layout.key(f.path))).body)));
    const table = decoded.length === 1 ? decoded[0] : mergeSortedParts(decoded.map(plainStrings), key);
    const part = table.numRows > left ? table.slice(0, left) : table;
    left -= part.numRows;
    yield part;
  }
}

export async function writeText(out: Stdout, format: "csv" | "json", header: string[], source: AsyncGenerator<Table>): Promise<void> {
  let headed = format !== "csv";
  for await (const table of source) {
    const names = table.schema.fields.map((f) => f.name);
    if (!headed) {
      await out.write(csvLine(names));
      headed = true;
    }
    for (const batch of table.batches) {
      let chunk = "";
      for (const row of batchRows(batch)) {
        chunk += format === "csv" ? csvLine(row) : jsonLine(names, row);
        if (chunk.length > 1 << 16) {
          await out.write(chunk);
          chunk = "";
        }
      }
      if (chunk) await out.write(chunk);
      if (out.closed) return;
    }
  }
  if (!headed) await out.write(csvLine(header));
}

export async function writeParquet(out: Stdout, store: ObjectStore, dataset: string, files: VersionFile[], limit: number, key: string[]): Promise<void> {
  if (files.length === 1 && limit >= files[0].rows) {
    await out.write((await store.get(new DatasetLayout(dataset).key(files[0].path))).body);
    return;
  }
  const parts: Table[] = [];
  for await (const t of tables(store, dataset, files, limit, key)) parts.push(plainStrings(t));
  await out.write(encodeParquet(parts.reduce((all, t) => all.concat(t))));
}
