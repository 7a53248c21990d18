import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { ObjectStore } from "../src/store/types";
import { readManifest } from "../src/manifest/read";
import { isPublished } from "./commit";
import type { ActivityDeps } from "./deps";
import { planProjectionMonths, writtenBy } from "../src/manifest/projection-plan";

async function deletePrefix(store: ObjectStore, prefix: string): Promise<number> {
  const keys: string[] = [];
  for await (const obj of store.list(prefix)) keys.push(obj.key);
  for (const key of keys) await store.delete(key);
  return keys.length;
}

/** What a compensation undoes: the version's objects, and the version it was planned on. */
interface UndoInput {
  dataset: string;
  version: string;
  /** The version the plan built on (null for a first version); absent in payloads recorded before it was added. */
  base?: string | null;
}

/**
 * The opposite of every writing step. Each (but scratch removal) refuses to touch a version that is
 * on the chain from the current pointer (published, possibly with newer versions on top).
 */
export function compensationActivities(deps: ActivityDeps) {
  const { store } = deps;
  async function unlessPublished(step: string, { dataset, version, base }: UndoInput, remove: (layout: DatasetLayout) => Promise<number>): Promise<number> {
    if (await isPublished(store, dataset, version, base)) return 0;
    const removed = await remove(new DatasetLayout(dataset));
    deps.metrics?.compensations.inc({ dataset, step });
    return removed;
  }
  return {
    /** Opposite of fetchSource/normalize, and the cleanup after publish: scratch is never referenced by a version. */
    deleteRunScratch: ({ dataset, version }: { dataset: string; version: string }) => {
      const l = new DatasetLayout(dataset);
      return deletePrefix(store, l.key(l.runs(version)));
    },
    /** Opposite of computeDelta's staged index. */
    deleteIndex: (input: UndoInput) =>
      unlessPublished("deleteIndex", input, (l) => deletePrefix(store, l.key(`index/${input.version}/`))),
    /** Opposite of writeEvents. */
    deleteEvents: (input: UndoInput) =>
      unlessPublished("deleteEvents", input, (l) => deletePrefix(store, l.key(`events/${input.version}/data/`))),
    /**
     * Opposite of consolidate: the files this version may have written in the months it planned (see
     * planProjectionMonths): its whole-month files and parts, found by their name; files it carried
     * belong to other versions and are never touched.
     */
    deleteProjections: (input: UndoInput & { definition: DatasetDefinition; months: string[]; baseManifest?: string }) =>
      unlessPublished("deleteProjections", input, async (l) => {
        const parent = input.baseManifest ? await readManifest(store, input.dataset, input.baseManifest) : null;
        const plan = planProjectionMonths(input.definition.projections.map((p) => p.name), parent?.projections ?? null, input.months);
        let n = 0;
        for (const { projection, month: label } of plan) {
          const month = parseMonthLabel(label);
          if (month === undefined) continue;
          const mine: string[] = [];
          for await (const o of store.list(l.key(l.projectionFilesOf(projection, month, input.version)))) if (writtenBy(o.key, input.version)) mine.push(o.key);
          for (const key of mine) await store.delete(key);
          n += mine.length;
        }
        return n;
      }),
    /** Opposite of publish's manifest write (before the CAS succeeded). */
    deleteVersionManifest: (input: UndoInput) =>
      unlessPublished("deleteVersionManifest", input, async (l) => {
        await store.delete(l.key(l.versionManifest(input.version)));
        await store.delete(l.key(l.quarantine(input.version)));
        return 2;
      }),
  };
}
