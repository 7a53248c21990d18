import { Table, Type, type Vector } from "apache-arrow";
import type { Command } from "commander";
import { Option } from "commander";
import { validateDatasetId } from "../../definition";
import { TidemarkError } from "../../errors";
import { DatasetLayout } from "../../layout";
import { decodeParquet, encodeParquet, utf8Column } from "../../parquet";
import type { ObjectStore } from "../../store/types";
import { CliContext } from "../client";
import { checkMonthArg, checkVersionArg, loadVersion, pickProjection, projectionFiles, type VersionFile } from "../dataset-view";
import { parsePositiveInt } from "../options";
import { UsageError } from "../output";
import { mergeSortedParts } from "../merge-parts";
import { batchRows, csvLine, jsonLine } from "../render";

/** There is nothing to write in the requested format. */
export class NothingToReadError extends TidemarkError {}

type Format = "csv" | "json" | "parquet";

interface ReadOptions {
  version?: string;
  month?: string;
  projection?: string;
  format: Format;
  limit?: number;
}

/** Writes to stdout with backpressure; stops quietly once the reader goes away (`| head`). */
class Stdout {
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
async function* tables(store: ObjectStore, dataset: string, files: VersionFile[], limit: number, key: string[]): AsyncGenerator<Table> {
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

async function writeText(out: Stdout, format: "csv" | "json", header: string[], source: AsyncGenerator<Table>): Promise<void> {
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

async function writeParquet(out: Stdout, store: ObjectStore, dataset: string, files: VersionFile[], limit: number, key: string[]): Promise<void> {
  if (files.length === 1 && limit >= files[0].rows) {
    await out.write((await store.get(new DatasetLayout(dataset).key(files[0].path))).body);
    return;
  }
  const parts: Table[] = [];
  for await (const t of tables(store, dataset, files, limit, key)) parts.push(plainStrings(t));
  await out.write(encodeParquet(parts.reduce((all, t) => all.concat(t))));
}

/** `tidemark read <dataset> [--version V] [--month YYYY-MM] [--format csv|json|parquet] [--limit N]`: a version's rows on stdout. */
export function registerRead(program: Command): void {
  program
    .command("read")
    .description("write the rows of a version to stdout as CSV, NDJSON or Parquet (sorted by month, then key)")
    .argument("<dataset>", "dataset id")
    .option("--version <version>", "a version id (default: the current version)", checkVersionArg)
    .option("--month <YYYY-MM>", "only this partition (YYYY, YYYY-MM or YYYY-MM-DD; a year or month selects every partition inside it)", checkMonthArg)
    .option("--projection <name>", "projection to read (default: latest)")
    .addOption(new Option("--format <format>", "output format").choices(["csv", "json", "parquet"]).default("csv"))
    .option("--limit <n>", "stop after n rows", parsePositiveInt)
    .action(async (dataset: string, opts: ReadOptions) => {
      validateDatasetId(dataset);
      if (opts.format === "parquet" && process.stdout.isTTY) {
        throw new UsageError("Parquet is binary, so it is not written to a terminal; redirect it to a file, e.g. > rows.parquet.");
      }
      const store = await new CliContext().store();
      const view = await loadVersion(store, dataset, opts.version);
      const files = projectionFiles(store, view, pickProjection(view.manifest, opts.projection), opts.month);
      const limit = opts.limit ?? Infinity;
      const out = new Stdout();
      try {
        if (opts.format === "parquet") {
          if (files.length === 0) {
            throw new NothingToReadError(`Version ${view.manifest.version} of ${dataset} has no rows${opts.month ? ` in ${opts.month}` : ""}, so there is no Parquet to write; pick another --month or --version.`);
          }
          return await writeParquet(out, store, dataset, files, limit, view.manifest.schema.key);
        }
        const header = view.manifest.schema.columns.map((c) => c.name);
        await writeText(out, opts.format, header, tables(store, dataset, files, limit, view.manifest.schema.key));
      } finally {
        out.dispose();
      }
    });
}
