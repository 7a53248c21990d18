import type { BaseVersion } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { mergeMonthFiles } from "../src/engine/months";
import { TidemarkError } from "../src/errors";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { MergedMonths } from "../src/manifest/optimize";
import { optimizeManifest } from "../src/manifest/optimize-manifest";
import { monthsToOptimize, writtenBy } from "../src/manifest/projection-plan";
import type { ProjectionFile } from "../src/manifest/schema";
import { readManifest } from "../src/manifest/read";
import { attemptCasDeadline, commitVersion, isPublished, type PublishOutcome } from "./commit";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES, withEngine } from "./engine";
import { finishedItems, resumable } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited } from "./io";
import { missingSizes } from "./sizes";

/** A merged month holds another number of rows than its parts record: the store is inconsistent. */
export class OptimizeMismatchError extends TidemarkError {}

/** Input of `mergeParts`. */
export interface MergePartsInput {
  dataset: string;
  version: string;
  base: BaseVersion;
  all?: boolean;
  maxParts: number;
}

/** What `mergeParts` wrote: the merged months and how many part files they had. */
export interface MergedParts {
  merged: MergedMonths;
  partsBefore: number;
}

/** Input of `publishOptimized`. */
export interface PublishOptimizedInput {
  dataset: string;
  version: string;
  /** The pointer the run planned from: the CAS goes against exactly its etag. */
  base: BaseVersion;
  merged: MergedMonths;
  run: { workflow_id: string; run_id: string };
  createdAt: string;
}

/** The steps of `optimizeDataset`: merge the parts of crowded months into one file each, publish, and the opposite. */
export function optimizeActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    /**
     * Merges every projection month with more than `maxParts` files (every multi-part month with
     * `all`) into one file `<version>.parquet` sorted by key (DuckDB); resumes per month from the
     * heartbeat details.
     */
    async mergeParts({ dataset, version, base, all, maxParts }: MergePartsInput): Promise<MergedParts> {
      const layout = new DatasetLayout(dataset);
      const parent = await readManifest(store, dataset, base.manifest);
      const picks = monthsToOptimize(parent.projections, maxParts, Boolean(all));
      const keyOf = (p: { projection: string; month: string }) => `${p.projection}/${p.month}`;
      const finished = finishedItems<ProjectionFile>();
      const pending = picks.filter((p) => !Object.hasOwn(finished, keyOf(p)));
      const definition = { schema: parent.schema } as unknown as DatasetDefinition;
      const pathOf = (p: { projection: string; month: string }) => layout.projection(p.projection, parseMonthLabel(p.month)!, version);
      const merged = await withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const outs = new Map<string, { local: string; rows: number }>();
          for (const [i, pick] of pending.entries()) {
            const locals = await mapLimited(pick.files, IO_CONCURRENCY, (f) => workspace.local(layout.key(f.path)));
            const local = workspace.path(`merged-${i}.parquet`);
            const rows = await mergeMonthFiles(task, definition, locals, local);
            const recorded = pick.files.reduce((n, f) => n + f.rows, 0);
            if (rows !== recorded) {
              throw new OptimizeMismatchError(`Month ${pick.month} of projection ${pick.projection} of ${dataset} holds ${rows} rows but its parts record ${recorded}; run "tidemark verify ${dataset}".`);
            }
            outs.set(keyOf(pick), { local, rows });
          }
          return outs;
        },
        async (outs, workspace) => {
          const { results } = await resumable(picks, keyOf, IO_CONCURRENCY, async (pick): Promise<ProjectionFile> => {
            const out = outs.get(keyOf(pick))!;
            const path = pathOf(pick);
            return { path, rows: out.rows, bytes: await workspace.uploadOnce(out.local, layout.key(path)) };
          });
          return results;
        },
      );
      const out: MergedMonths = {};
      picks.forEach((pick, i) => {
        out[pick.projection] ??= {};
        out[pick.projection][pick.month] = { rows: merged[i].rows, files: [merged[i]] };
      });
      return { merged: out, partsBefore: picks.reduce((n, p) => n + p.files.length, 0) };
    },

    /** The optimize version's commit point: manifest create-only, then CAS of the pointer against the planned base. */
    async publishOptimized(input: PublishOptimizedInput): Promise<PublishOutcome> {
      const casBy = attemptCasDeadline();
      const parent = await readManifest(store, input.dataset, input.base.manifest);
      return commitVersion({
        store,
        casBy,
        manifest: optimizeManifest(parent, input, await missingSizes(store, input.dataset, parent)),
        base: input.base,
        publishedAt: input.createdAt,
        beforeCas: () => deps.faults?.("optimize:before-cas"),
      });
    },

    /** Opposite of `mergeParts`: the merged files of an unpublished optimize version (files it did not write are never touched). */
    async deleteMergedParts({ dataset, version, base }: { dataset: string; version: string; base: string | null }): Promise<number> {
      if (await isPublished(store, dataset, version, base)) return 0;
      const layout = new DatasetLayout(dataset);
      const keys: string[] = [];
      for await (const o of store.list(layout.key("projections/"))) if (writtenBy(o.key, version)) keys.push(o.key);
      for (const key of keys) await store.delete(key);
      return keys.length;
    },
  };
}
