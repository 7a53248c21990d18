/** `prepare`: fetch, normalize and delta of an ingest in one activity. */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { BaseVersion, FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout } from "../src/layout";
import { ingestLimitsFromEnv } from "../src/sources/limits";
import { readManifest } from "../src/manifest/read";
import { requireConsumedInbox } from "../src/intake/inbox-guard";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { withKeepAlive } from "./heartbeat";
import { fetchInto } from "./source-fetch";
import { deltaLocal, normalizeLocal, summarize, uploadDelta, type DeltaSummary, type NormalizeSummary } from "./delta-files";

/** Input of `prepare`. */
export interface PrepareInput {
  dataset: string;
  /** The version the plan publishes (its index is written under it). */
  version: string;
  /** The run's first version id: its scratch lives under `runs/<scratch>/`. */
  scratch: string;
  uri: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  /** The current version's source sha256: a source with this hash ends the run "unchanged". */
  unchangedIf?: string;
}

/** Result of `prepare`: the staged source, and unless it is unchanged, the normalized rows' summary and the delta. */
export type PrepareResult =
  | { status: "unchanged"; source: FetchedSource }
  | { status: "planned"; source: FetchedSource; normalized: NormalizeSummary; delta: DeltaSummary };

/**
 * Steps 1–3 (fetch, normalize, delta) as one activity: the source and its normalized rows stay in
 * the worker's workspace (never staged in the store: a retry starts again from the fetch), and only
 * the delta's files are handed to `write` through the run's scratch (SPEC §3 "no rows in payloads").
 */
export function prepareActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async prepare(input: PrepareInput): Promise<PrepareResult> {
      const { dataset, version, scratch, definition, base } = input;
      const layout = new DatasetLayout(dataset);
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const fetchInput = { dataset, version: scratch, uri: input.uri, unchangedIf: input.unchangedIf, baseManifest: base?.manifest };
      const done = await withEngine(
        deps,
        1,
        async (_task, workspace, inTask) => {
          const sourcePath = workspace.path("source");
          const source = await withKeepAlive((signal, note) => fetchInto(deps, fetchInput, (stream) => pipeline(stream, createWriteStream(sourcePath)), signal, note));
          if ((input.unchangedIf !== undefined && source.sha256 === input.unchangedIf) || source.fragments?.length === 0) return { source, planned: null };
          if (!definition.source.push) await requireConsumedInbox(store, dataset, base?.manifest);
          const normalized = workspace.path("normalized.parquet");
          const readFragment = source.fragments ? (id: string) => store.get(layout.key(layout.inboxFragment(id))).then((r) => r.body) : undefined;
          const rows = await inTask((task) => normalizeLocal(task, dataset, definition, source, sourcePath, normalized, limits, readFragment));
          await rm(sourcePath, { force: true });
          const parent = base ? await readManifest(store, dataset, base.manifest) : null;
          const delta = await inTask((task) => deltaLocal(deps, task, workspace, { dataset, version, definition, base, parent, normalized, quarantinedRows: rows.badRowCount ?? rows.badRows.length }));
          return { source: rows.setAside ? { ...source, setAside: rows.setAside } : source, planned: { rows, parent, delta } };
        },
        async ({ source, planned }, workspace) => {
          if (!planned) return { source, planned: null };
          const delta = await uploadDelta(workspace, layout, version, layout.runs(scratch), planned.parent, planned.delta);
          return { source, planned: { delta, normalized: await summarize(deps, layout, scratch, planned.rows) } };
        },
      );
      if (!done.planned) return { status: "unchanged", source: done.source };
      return { status: "planned", source: done.source, normalized: done.planned.normalized, delta: done.planned.delta };
    },
  };
}
