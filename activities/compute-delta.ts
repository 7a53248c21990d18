import type { BaseVersion, ChangeCounts } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import type { BaseSource } from "../src/engine/delta-sql";
import { runDelta } from "../src/engine/delta";
import { HASHING } from "../src/engine/hash-sql";
import { DatasetLayout, monthLabel } from "../src/layout";
import { parentMonths } from "../src/manifest/projection-plan";
import type { VersionManifest } from "../src/manifest/schema";
import type { Workspace } from "../src/engine/workspace";
import { readManifest } from "./base";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { mapLimited, IO_CONCURRENCY, SCRATCH } from "./io";

/** Result of `computeDelta`: counts, touched months and the staged index. */
export interface DeltaSummary {
  counts: ChangeCounts;
  /** Months to write events for and consolidate, as YYYY-MM, ascending. */
  months: string[];
  index: { path: string; rows: number; bytes: number; hashing: string }[];
}

/**
 * Where the base index comes from: the parent's index files when the engine's hashing wrote them,
 * else (a store written before it) the parent's first projection, whose rows are rehashed.
 */
async function baseSource(parent: VersionManifest | null, definition: DatasetDefinition, workspace: Workspace, layout: DatasetLayout): Promise<BaseSource> {
  if (!parent) return { kind: "none" };
  const local = (paths: string[]) => mapLimited(paths, IO_CONCURRENCY, (p) => workspace.local(layout.key(p)));
  if (parent.index.length > 0 && parent.index.every((f) => f.hashing === HASHING)) return { kind: "index", files: await local(parent.index.map((f) => f.path)) };
  const months = parentMonths(parent.projections, definition.projections[0].name);
  return { kind: "projection", files: await local(Object.values(months).map((f) => f.path)) };
}

/** Step 3: the normalized source against the base index → staged index, changes and removals (DuckDB). */
export function computeDeltaActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async computeDelta({ dataset, version, definition, base, scratch: run }: { dataset: string; version: string; definition: DatasetDefinition; base: BaseVersion | null; scratch?: string }): Promise<DeltaSummary> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const indexPath = layout.index(version);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      return withEngine(
        deps,
        1,
        async (task, workspace) => {
          const out = { index: workspace.path("index.parquet"), changes: workspace.path("changes.parquet"), removals: workspace.path("removals.parquet") };
          const outcome = await runDelta(task, {
            dataset, definition, out,
            normalized: await workspace.local(layout.key(scratch + SCRATCH.normalized)),
            base: await baseSource(parent, definition, workspace, layout),
            baseRows: base?.rowsTotal ?? 0,
          });
          return { outcome, out };
        },
        async ({ outcome, out }, workspace) => {
          const bytes = await workspace.uploadOnce(out.index, layout.key(indexPath));
          await workspace.uploadScratch(out.changes, layout.key(scratch + SCRATCH.changes));
          await workspace.uploadScratch(out.removals, layout.key(scratch + SCRATCH.removals));
          const { inserted, updated, deleted, unchanged, rowsTotal } = outcome;
          return {
            counts: { inserted, updated, deleted, unchanged, rowsTotal },
            months: outcome.months.map(monthLabel),
            index: [{ path: indexPath, rows: rowsTotal, bytes, hashing: HASHING }],
          };
        },
      );
    },
  };
}
