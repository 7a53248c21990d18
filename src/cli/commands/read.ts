import type { Command } from "commander";
import { Option } from "commander";
import { validateDatasetId } from "../../definition/id";
import { NotFoundError, TidemarkError } from "../../errors";
import { DatasetLayout } from "../../layout";
import { CliContext } from "../client";
import { checkMonthArg, checkVersionArg, loadVersion, pickProjection, projectionFiles } from "../dataset-view";
import { parsePositiveInt } from "../options";
import { UsageError } from "../output";

/** A file the version's manifest references is not in the store. */
export class MissingVersionFileError extends TidemarkError {}

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

/** `tidemark read <dataset> [--version V] [--month YYYY-MM] [--format csv|json|parquet] [--limit N]`: a version's rows on stdout. */
export function registerRead(program: Command): void {
  program
    .command("read")
    .description("write the rows of a version to stdout as CSV, NDJSON (--format json) or Parquet (sorted by month, then key)")
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
      const { Stdout, tables, writeParquet, writeText } = await import("../read-output.js");
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
      } catch (err) {
        const layout = new DatasetLayout(dataset);
        const missing = err instanceof NotFoundError ? files.find((f) => layout.key(f.path) === err.key) : undefined;
        if (!missing) throw err;
        throw new MissingVersionFileError(
          `Version ${view.manifest.version} of ${dataset} references ${missing.path}, which is missing from ${store.url}; run "tidemark verify ${dataset}" (with --repair it rebuilds projections from the events).`,
        );
      } finally {
        out.dispose();
      }
    });
}
