import type { BaseVersion } from "../src/contracts";
import { foldEvents, writeFold, type EventInput } from "../src/engine/fold";
import { HASHING } from "../src/engine/hash-sql";
import { TidemarkError } from "../src/errors";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import { derivedManifest } from "../src/manifest/derived-manifest";
import type { ProjectionMonthV2, VersionManifest } from "../src/manifest/schema";
import { writtenBy } from "../src/manifest/projection-plan";
import { readManifest } from "../src/manifest/read";
import { chainEventFiles, walkChain } from "./chain";
import type { ActivityDeps } from "./deps";
import { ENGINE_LANES, withEngine } from "./engine";
import { withKeepAlive } from "./heartbeat";
import { IO_CONCURRENCY, mapLimited } from "./io";
import { attemptCasDeadline, commitVersion, isPublished, type PublishOutcome } from "./commit";

/** A repair cannot rebuild the derived objects: the events or the chain they come from are damaged. */
export class RepairImpossibleError extends TidemarkError {}

/** What `rebuildDerived` wrote under the repair version. */
export interface Rebuilt {
  index: { path: string; rows: number; bytes: number; hashing?: string }[];
  /** Every live month of every projection, all rewritten by the repair version. */
  projections: Record<string, Record<string, ProjectionMonthV2>>;
  rowsTotal: number;
}

/** Input of `publishRepair`. */
export interface PublishRepairInput {
  dataset: string;
  version: string;
  /** The pointer read when the repair started: the CAS goes against exactly its etag. */
  base: BaseVersion;
  rebuilt: Rebuilt;
  run: { workflow_id: string; run_id: string };
  createdAt: string;
}

/** The manifest of a repair version: the parent's schema and source, no events, rebuilt index and projections. */
export function repairManifest(parent: VersionManifest, input: PublishRepairInput): VersionManifest {
  return derivedManifest(parent, { version: input.version, createdAt: input.createdAt, run: input.run, index: input.rebuilt.index, projections: input.rebuilt.projections, rowsTotal: input.rebuilt.rowsTotal });
}

/** Rebuilds the index and projection months from the events, and publishes them as a new version. */
export function repairActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    /** Folds every month of the events (on the engine) into new projection files and a new index under `version`. */
    async rebuildDerived({ dataset, version }: { dataset: string; version: string }): Promise<Rebuilt> {
      const layout = new DatasetLayout(dataset);
      const chain = await withKeepAlive(() => walkChain(store, dataset));
      if (!chain.complete) {
        throw new RepairImpossibleError(`The version chain of ${dataset} is broken (${chain.findings[0]?.problem ?? "unknown"}), so the index and projections cannot be rebuilt from the events.`);
      }
      const current = chain.manifests[0];
      const names = Object.keys(current.projections).length ? Object.keys(current.projections) : ["latest"];
      const eventFiles = chainEventFiles(chain.manifests);
      return withEngine(
        deps,
        ENGINE_LANES,
        async (task, workspace) => {
          const events: EventInput[] = [];
          for (const f of eventFiles) {
            const label = f.months.find((m) => parseMonthLabel(m) === undefined);
            if (label !== undefined) throw new RepairImpossibleError(`Event file ${f.path} records partition ${label}, which is not YYYY, YYYY-MM or YYYY-MM-DD.`);
            events.push({ path: await workspace.local(layout.key(f.path)), month: f.single ? null : parseMonthLabel(f.months[0])!, version: f.version });
          }
          const definition = await foldEvents(task, current.schema, events);
          const out = { index: workspace.path("index.parquet"), month: (m: number) => workspace.path(`month-${m}.parquet`) };
          return { written: await writeFold(task, definition, out), out };
        },
        async ({ written, out }, workspace) => {
          const projections: Rebuilt["projections"] = Object.fromEntries(names.map((n) => [n, {}]));
          const entries = [...written.months.entries()].flatMap(([month, rows]) => names.map((name) => ({ name, month, rows })));
          await mapLimited(entries, IO_CONCURRENCY, async ({ name, month, rows }) => {
            const path = layout.projection(name, month, version);
            projections[name][monthLabel(month)] = { rows, files: [{ path, rows, bytes: await workspace.uploadOnce(out.month(month), layout.key(path)) }] };
          });
          for (const name of names) projections[name] = Object.fromEntries(Object.entries(projections[name]).sort(([a], [b]) => a.localeCompare(b)));
          const path = layout.index(version);
          const bytes = await workspace.uploadOnce(out.index, layout.key(path));
          return { index: [{ path, rows: written.rows, bytes, hashing: HASHING }], projections, rowsTotal: written.rows };
        },
      );
    },

    /** The repair's commit point: manifest create-only, then CAS of the pointer against the etag read at the start. */
    async publishRepair(input: PublishRepairInput): Promise<PublishOutcome> {
      const casBy = attemptCasDeadline();
      const parent = await readManifest(store, input.dataset, input.base.manifest);
      return commitVersion({
        store,
        casBy,
        manifest: repairManifest(parent, input),
        base: input.base,
        publishedAt: input.createdAt,
        beforeCas: () => deps.faults?.("repair:before-cas"),
      });
    },

    /** Opposite of `rebuildDerived`: the index and projection files of an unpublished repair version. */
    async deleteRepairObjects({ dataset, version, base }: { dataset: string; version: string; base?: string | null }): Promise<number> {
      if (await isPublished(store, dataset, version, base)) return 0;
      const layout = new DatasetLayout(dataset);
      const keys: string[] = [];
      for await (const o of store.list(layout.key(`index/${version}/`))) keys.push(o.key);
      for await (const o of store.list(layout.key("projections/"))) if (writtenBy(o.key, version)) keys.push(o.key);
      for (const key of keys) await store.delete(key);
      return keys.length;
    },
  };
}
