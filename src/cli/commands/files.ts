import type { Command } from "commander";
import { validateDatasetId } from "../../definition/id";
import { CliContext } from "../client";
import { checkMonthArg, checkVersionArg, duckdbCommand, eventFiles, loadVersion, pickProjection, projectionFiles, type VersionFile } from "../dataset-view";
import type { ObjectStore } from "../../store/types";
import { say, sayJson } from "../output";

/** What `files` lists for a version. */
export interface FilesListing {
  dataset: string;
  version: string;
  current: boolean;
  projection: string;
  files: VersionFile[];
  events?: VersionFile[];
  duckdb: string;
}

/** Options of {@link listFiles}. */
export interface ListFilesOptions {
  version?: string;
  month?: string;
  projection?: string;
  events?: boolean;
}

/** The files of a version a query engine reads: its projection months and, optionally, its event files. */
export async function listFiles(store: ObjectStore, dataset: string, opts: ListFilesOptions = {}): Promise<FilesListing> {
  const view = await loadVersion(store, dataset, opts.version);
  const projection = pickProjection(view.manifest, opts.projection);
  const files = projectionFiles(store, view, projection, opts.month);
  const events = opts.events ? eventFiles(store, view, opts.month) : undefined;
  return {
    dataset,
    version: view.manifest.version,
    current: view.isCurrent,
    projection,
    files,
    ...(events ? { events } : {}),
    duckdb: duckdbCommand(files),
  };
}

/** `tidemark files <dataset> [--version V] [--month M] [--events] [--json]`: file URIs for DuckDB/pyarrow. */
export function registerFiles(program: Command): void {
  program
    .command("files")
    .description("print the Parquet files of a version (absolute paths or s3:// URIs) and a DuckDB command that reads them")
    .argument("<dataset>", "dataset id")
    .option("--version <version>", "a version id (default: the current version)", checkVersionArg)
    .option("--month <YYYY-MM>", "only this partition (YYYY, YYYY-MM or YYYY-MM-DD; a year or month selects every partition inside it)", checkMonthArg)
    .option("--projection <name>", "projection to list (default: latest)")
    .option("--events", "also list the change-event files this version wrote")
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: ListFilesOptions & { json?: boolean }) => {
      validateDatasetId(dataset);
      const listing = await listFiles(await new CliContext().store(), dataset, opts);
      if (opts.json) return sayJson(listing);
      for (const f of listing.files) say(f.uri);
      if (listing.events) {
        say(listing.events.length > 0 ? "# change events of this version (columns plus _op, _key_hash, _version):" : "# this version wrote no change events");
        for (const f of listing.events) say(f.uri);
      }
      const version = `${dataset} version ${listing.version}${listing.current ? " (current)" : ""}`;
      const count = listing.files.length;
      if (count === 0) process.stderr.write(`# ${version} has no ${listing.projection} files${opts.month ? ` for ${opts.month}` : ""}: it holds no rows\n`);
      else process.stderr.write(`# ${count} ${listing.projection} file${count === 1 ? "" : "s"} of ${version}; query them with:\n${listing.duckdb}\n`);
    });
}
