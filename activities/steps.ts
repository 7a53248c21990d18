/** Steps 1–3 of an ingest (fetch, normalize, delta) as separate activities: how runs recorded before `prepare` ran them. */
import type { BaseVersion, FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout } from "../src/layout";
import { ingestLimitsFromEnv } from "../src/sources/limits";
import { readManifest } from "../src/manifest/read";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { withKeepAlive } from "./heartbeat";
import { SCRATCH } from "./io";
import { type FetchSourceInput, fetchInto } from "./source-fetch";
import { deltaLocal, normalizeLocal, summarize, uploadDelta, type DeltaSummary, type NormalizeSummary } from "./delta-files";

/** A source fetched by the separate `fetchSource` activity: staged at `key`, `runs/<version>/source`. */
export type StagedSource = FetchedSource & { key: string };

/** Step 1 as its own activity (runs recorded before `prepare`): streams the source to `runs/<version>/source`, computing its sha256 on the way. */
export function fetchSourceActivities(deps: ActivityDeps) {
  return {
    fetchSource: (input: FetchSourceInput): Promise<StagedSource> =>
      withKeepAlive(async (signal, note) => {
        const layout = new DatasetLayout(input.dataset);
        const key = layout.key(`${layout.runs(input.version)}source`);
        const fetched = await fetchInto(deps, input, (stream) => deps.store.putStream(key, stream, { kind: "overwrite" }), signal, note);
        return { ...fetched, key };
      }),
  };
}

/** Step 2 as its own activity (runs recorded before `prepare`): the staged source into `runs/<version>/normalized.parquet`. */
export function normalizeActivities(deps: ActivityDeps) {
  return {
    async normalize({ dataset, version, definition, source }: { dataset: string; version: string; definition: DatasetDefinition; source: FetchedSource }): Promise<NormalizeSummary> {
      const layout = new DatasetLayout(dataset);
      if (source.key === undefined) throw new Error(`normalize needs the source staged by fetchSource; ${source.uri} was not staged in the store.`);
      const staged = source.key;
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const { rows, badRows, badRowCount, engine } = await withEngine(
        deps,
        1,
        async (task, workspace) => {
          const outPath = workspace.path("normalized.parquet");
          return { ...(await normalizeLocal(task, dataset, definition, source, await workspace.local(staged), outPath, limits)), outPath };
        },
        async (r, workspace) => {
          await workspace.uploadScratch(r.outPath, layout.key(layout.runs(version) + SCRATCH.normalized));
          return r;
        },
      );
      return summarize(deps, layout, version, { rows, badRows, badRowCount, engine });
    },
  };
}

/** Step 3 as its own activity (runs recorded before `prepare`): `runs/<scratch>/normalized.parquet` against the base index → the version's index file, changes and removals. */
export function computeDeltaActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async computeDelta({ dataset, version, definition, base, scratch: run }: { dataset: string; version: string; definition: DatasetDefinition; base: BaseVersion | null; scratch?: string }): Promise<DeltaSummary> {
      const layout = new DatasetLayout(dataset);
      const scratch = layout.runs(run ?? version);
      const parent = base ? await readManifest(store, dataset, base.manifest) : null;
      return withEngine(
        deps,
        1,
        async (task, workspace) => deltaLocal(deps, task, workspace, { dataset, version, definition, base, parent, normalized: await workspace.local(layout.key(scratch + SCRATCH.normalized)) }),
        (delta, workspace) => uploadDelta(workspace, layout, version, scratch, parent, delta),
      );
    },
  };
}

/** The three steps as separate activities, kept registered for runs recorded before `prepare`. */
export function stepActivities(deps: ActivityDeps) {
  return { ...fetchSourceActivities(deps), ...normalizeActivities(deps), ...computeDeltaActivities(deps) };
}
