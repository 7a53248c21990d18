import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { ObjectStore } from "../src/store/types";
import { readPointer } from "./base";
import type { ActivityDeps } from "./deps";

async function deletePrefix(store: ObjectStore, prefix: string): Promise<number> {
  const keys: string[] = [];
  for await (const obj of store.list(prefix)) keys.push(obj.key);
  for (const key of keys) await store.delete(key);
  return keys.length;
}

/** The opposite of every writing step. Each (but scratch removal) refuses to touch a version the pointer already names. */
export function compensationActivities(deps: ActivityDeps) {
  const { store } = deps;
  async function unlessPublished(step: string, dataset: string, version: string, remove: (layout: DatasetLayout) => Promise<number>): Promise<number> {
    const current = await readPointer(store, dataset);
    if (current?.pointer.current_version === version) return 0;
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
    deleteIndex: ({ dataset, version }: { dataset: string; version: string }) =>
      unlessPublished("deleteIndex", dataset, version, (l) => deletePrefix(store, l.key(`index/${version}/`))),
    /** Opposite of writeEvents. */
    deleteEvents: ({ dataset, version }: { dataset: string; version: string }) =>
      unlessPublished("deleteEvents", dataset, version, (l) => deletePrefix(store, l.key(`events/${version}/data/`))),
    /** Opposite of consolidate: the month files this version would have written. */
    deleteProjections: ({ dataset, version, definition, months }: { dataset: string; version: string; definition: DatasetDefinition; months: string[] }) =>
      unlessPublished("deleteProjections", dataset, version, async (l) => {
        let n = 0;
        for (const p of definition.projections) {
          for (const label of months) {
            const month = parseMonthLabel(label);
            if (month === undefined) continue;
            await store.delete(l.key(l.projection(p.name, month, version)));
            n++;
          }
        }
        return n;
      }),
    /** Opposite of publish's manifest write (before the CAS succeeded). */
    deleteVersionManifest: ({ dataset, version }: { dataset: string; version: string }) =>
      unlessPublished("deleteVersionManifest", dataset, version, async (l) => {
        await store.delete(l.key(l.versionManifest(version)));
        await store.delete(l.key(l.quarantine(version)));
        return 2;
      }),
  };
}
