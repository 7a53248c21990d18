import type { BaseVersion, ChangeCounts, FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { AlreadyExistsError, PreconditionFailedError } from "../src/errors";
import { DatasetLayout } from "../src/layout";
import { serializeJson, type EventFile, type Pointer, type ProjectionMonth, type VersionManifest } from "../src/manifest/schema";
import { writeOnce } from "../src/store/write-once";
import { readManifest, readPointer } from "./base";
import type { ActivityDeps } from "./deps";

/** Projection months a version wrote: name → YYYY-MM → file, or null when the month became empty. */
export type TouchedProjections = Record<string, Record<string, ProjectionMonth | null>>;

/** Input of `publish`. */
export interface PublishInput {
  dataset: string;
  version: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  source: FetchedSource;
  events: EventFile[];
  index: { path: string; rows: number; bytes?: number }[];
  projections: TouchedProjections;
  counts: ChangeCounts;
  run: { workflow_id: string; run_id: string };
  /** Workflow time of the publish, so every retry writes identical bytes. */
  createdAt: string;
  /** Scratch report of quarantined rows, published next to the manifest. */
  quarantined?: { rows: number; report: string };
}

/** Outcome of `publish`: published (now or by an earlier attempt), or lost to another writer. */
export type PublishOutcome = { status: "published" } | { status: "conflict"; currentVersion: string | null };

/** The version manifest of SPEC §2, carrying forward every projection month this version did not touch. */
export function buildManifest(input: PublishInput, parent: VersionManifest | null): VersionManifest {
  const projections: VersionManifest["projections"] = {};
  const names = new Set([...Object.keys(parent?.projections ?? {}), ...Object.keys(input.projections)]);
  for (const name of [...names].sort()) {
    const months: Record<string, ProjectionMonth> = { ...(parent?.projections[name] ?? {}) };
    for (const [month, file] of Object.entries(input.projections[name] ?? {})) {
      if (file) months[month] = file;
      else delete months[month];
    }
    projections[name] = Object.fromEntries(Object.entries(months).sort(([a], [b]) => a.localeCompare(b)));
  }
  const { definition: d } = input;
  return {
    format: "tidemark.version/1",
    dataset_id: input.dataset,
    version: input.version,
    parent_version: input.base?.version ?? null,
    created_at: input.createdAt,
    run: input.run,
    source: { uri: input.source.uri, bytes: input.source.bytes, sha256: input.source.sha256, etag: input.source.etag },
    schema: { columns: d.schema.columns.map((c) => ({ name: c.name, type: c.type })), key: [...d.schema.key], partition_by: d.schema.partition_by },
    events: input.events,
    index: input.index,
    projections,
    totals: { rows_total: input.counts.rowsTotal, inserted: input.counts.inserted, updated: input.counts.updated, deleted: input.counts.deleted },
    ...(input.quarantined ? { quarantine: { path: new DatasetLayout(input.dataset).quarantine(input.version), rows: input.quarantined.rows } } : {}),
  };
}

function recordPublished({ metrics }: ActivityDeps, input: PublishInput): void {
  if (!metrics) return;
  const dataset = input.dataset;
  metrics.runs.inc({ dataset, outcome: "published" });
  metrics.rows.inc({ dataset, op: "insert" }, input.counts.inserted);
  metrics.rows.inc({ dataset, op: "update" }, input.counts.updated);
  metrics.rows.inc({ dataset, op: "delete" }, input.counts.deleted);
  const files = [...input.events, ...input.index, ...Object.values(input.projections).flatMap((months) => Object.values(months))];
  metrics.bytesWritten.inc({ dataset }, files.reduce((sum, f) => sum + (f?.bytes ?? 0), 0));
}

/** Step 6, the commit point: manifest create-only, then CAS of the pointer against the planned base. */
export function publishActivities(deps: ActivityDeps) {
  return {
    async publish(input: PublishInput): Promise<PublishOutcome> {
      const { store } = deps;
      const layout = new DatasetLayout(input.dataset);
      const parent = input.base ? await readManifest(store, input.dataset, input.base.manifest) : null;
      if (input.quarantined) {
        const report = await store.get(layout.key(input.quarantined.report));
        await writeOnce(store, layout.key(layout.quarantine(input.version)), report.body);
      }
      const manifestPath = layout.versionManifest(input.version);
      await writeOnce(store, layout.key(manifestPath), serializeJson(buildManifest(input, parent)));
      const pointer: Pointer = {
        format: "tidemark.pointer/1",
        dataset_id: input.dataset,
        current_version: input.version,
        manifest: manifestPath,
        parent_version: input.base?.version ?? null,
        published_at: input.createdAt,
      };
      await deps.faults?.("publish:before-cas");
      try {
        await store.put(layout.key(layout.pointer()), serializeJson(pointer), input.base ? { kind: "update", etag: input.base.etag } : { kind: "create" });
        recordPublished(deps, input);
        return { status: "published" };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError || err instanceof AlreadyExistsError)) throw err;
        const now = await readPointer(store, input.dataset);
        if (now?.pointer.current_version === input.version) {
          recordPublished(deps, input);
          return { status: "published" };
        }
        deps.metrics?.casConflicts.inc({ dataset: input.dataset });
        return { status: "conflict", currentVersion: now?.pointer.current_version ?? null };
      }
    },
  };
}
