import type { Command } from "commander";
import { validateDatasetId } from "../../definition/id";
import { CliContext } from "../client";
import { BrokenChainError, versionChain } from "../dataset-view";
import { parsePositiveInt } from "../options";
import { say, sayJson } from "../output";
import { textTable } from "../text-table";

/** One version in the chain. */
export interface VersionRow {
  version: string;
  parentVersion: string | null;
  createdAt: string;
  inserted: number;
  updated: number;
  deleted: number;
  rowsTotal: number;
  current: boolean;
}

/** `tidemark versions <dataset> [--limit N] [--json]`: the version chain from the pointer back to the first version. */
export function registerVersions(program: Command): void {
  program
    .command("versions")
    .description("list a dataset's versions, newest first, following parent_version from the current one")
    .argument("<dataset>", "dataset id")
    .option("--limit <n>", "show at most n versions", parsePositiveInt)
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: { limit?: number; json?: boolean }) => {
      validateDatasetId(dataset);
      const store = await new CliContext().store();
      const rows: VersionRow[] = [];
      let broken: BrokenChainError | undefined;
      try {
        for await (const m of versionChain(store, dataset)) {
          const t = m.totals;
          rows.push({ version: m.version, parentVersion: m.parent_version, createdAt: m.created_at, inserted: t.inserted, updated: t.updated, deleted: t.deleted, rowsTotal: t.rows_total, current: rows.length === 0 });
          if (opts.limit !== undefined && rows.length >= opts.limit) break;
        }
      } catch (err) {
        if (!(err instanceof BrokenChainError)) throw err;
        broken = err;
      }
      if (opts.json) sayJson(rows);
      else say(textTable(["VERSION", "CREATED", "INSERTED", "UPDATED", "DELETED", "ROWS"], rows.map((r) => [`${r.version}${r.current ? " *" : ""}`, r.createdAt, r.inserted, r.updated, r.deleted, r.rowsTotal])));
      if (broken) throw broken;
    });
}
