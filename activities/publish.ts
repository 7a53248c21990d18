import type { BaseVersion, ChangeCounts, FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { readFingerprint } from "../src/definition/read-fingerprint";
import { DatasetLayout } from "../src/layout";
import { asV2, monthFiles } from "../src/manifest/month-files";
import { VERSION_FORMAT, type EventFile, type ProjectionMonthV2, type VersionManifest } from "../src/manifest/schema";
import { NotFoundError } from "../src/errors";
import { PlannedFragmentMissingError } from "../src/intake/compaction-plan";
import type { ObjectStore } from "../src/store/types";
import { writeOnce } from "../src/store/write-once";
import { readManifest } from "../src/manifest/read";
import type { IndexEntry } from "../src/manifest/index-plan";
import { attemptCasDeadline, commitVersion, isPublished, type PublishOutcome } from "./commit";
import type { ActivityDeps } from "./deps";
import { missingSizes } from "./sizes";

export type { PublishOutcome } from "./commit";

/** Projection months a version wrote: name → YYYY-MM → file, or null when the month became empty. */
export type TouchedProjections = Record<string, Record<string, ProjectionMonthV2 | null>>;

/** Input of `publish`. */
export interface PublishInput {
  dataset: string;
  version: string;
  definition: DatasetDefinition;
  base: BaseVersion | null;
  source: FetchedSource;
  events: EventFile[];
  index: IndexEntry[];
  projections: TouchedProjections;
  counts: ChangeCounts;
  run: { workflow_id: string; run_id: string };
  /** Workflow time of the publish, so every retry writes identical bytes. */
  createdAt: string;
  /** Scratch report of quarantined rows, published next to the manifest. */
  quarantined?: { rows: number; report: string };
}


/**
 * The version manifest of SPEC §2 (format `/2`): exactly the definition's projections, each carrying
 * forward every month this version did not touch (a `/1` parent's months as `/2` months; `sizes`
 * gives the bytes its entries may lack).
 */
export function buildManifest(input: PublishInput, parent: VersionManifest | null, sizes: ReadonlyMap<string, number> = new Map()): VersionManifest {
  const projections: VersionManifest["projections"] = {};
  for (const name of input.definition.projections.map((p) => p.name).sort()) {
    const months: Record<string, ProjectionMonthV2> = Object.fromEntries(Object.entries(parent?.projections[name] ?? {}).map(([m, e]) => [m, asV2(e, sizes)]));
    for (const [month, file] of Object.entries(input.projections[name] ?? {})) {
      if (file) months[month] = file;
      else delete months[month];
    }
    projections[name] = Object.fromEntries(Object.entries(months).sort(([a], [b]) => a.localeCompare(b)));
  }
  const { definition: d } = input;
  return {
    format: VERSION_FORMAT,
    dataset_id: input.dataset,
    version: input.version,
    parent_version: input.base?.version ?? null,
    created_at: input.createdAt,
    run: input.run,
    source: {
      uri: input.source.uri, bytes: input.source.bytes, sha256: input.source.sha256, etag: input.source.etag,
      ...(input.source.fragments ? { fragments: input.source.fragments } : {}),
      ...(input.source.setAside?.length ? { set_aside: setAsideEntries(input) } : {}),
      read: readFingerprint(input.definition),
    },
    schema: { columns: d.schema.columns.map((c) => ({ name: c.name, type: c.type, decimal: c.decimal })), key: [...d.schema.key], partition_by: d.schema.partition_by },
    events: input.events,
    index: input.index,
    projections,
    totals: { rows_total: input.counts.rowsTotal, inserted: input.counts.inserted, updated: input.counts.updated, deleted: input.counts.deleted },
    ...(input.quarantined ? { quarantine: { path: new DatasetLayout(input.dataset).quarantine(input.version), rows: input.quarantined.rows } } : {}),
  };
}

/** The manifest's `source.set_aside`: each fragment with the path of its copy, which belongs to this version alone. */
function setAsideEntries(input: PublishInput): { fragment: string; reason: string; path: string }[] {
  const layout = new DatasetLayout(input.dataset);
  return (input.source.setAside ?? []).map(({ fragment, reason }) => ({ fragment, reason, path: layout.quarantinedFragment(input.version, fragment) }));
}

/**
 * Copies each set-aside fragment create-only from the inbox to the version's own
 * `quarantine/fragments/<version>/` before the CAS (the inbox copy is deleted only after it); a copy
 * already there from an earlier attempt of this publish is kept.
 */
async function keepSetAside(store: ObjectStore, layout: DatasetLayout, setAside: readonly { fragment: string; path: string }[]): Promise<void> {
  for (const { fragment, path } of setAside) {
    const target = layout.key(path);
    let body: Uint8Array;
    try {
      body = (await store.get(layout.key(layout.inboxFragment(fragment)))).body;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await store.head(target).catch((gone: unknown) => {
        if (!(gone instanceof NotFoundError)) throw gone;
        throw new PlannedFragmentMissingError(`Fragment ${fragment}, set aside by this compaction, is neither in the inbox nor in ${path}; run "tidemark verify" on the dataset and start the compaction again.`);
      });
      continue;
    }
    await writeOnce(store, target, body);
  }
}

function recordPublished({ metrics }: ActivityDeps, input: PublishInput, parent: VersionManifest | null): void {
  if (!metrics) return;
  const dataset = input.dataset;
  metrics.runs.inc({ dataset, outcome: "published" });
  metrics.rows.inc({ dataset, op: "insert" }, input.counts.inserted);
  metrics.rows.inc({ dataset, op: "update" }, input.counts.updated);
  metrics.rows.inc({ dataset, op: "delete" }, input.counts.deleted);
  const parentFiles = new Set(Object.values(parent?.projections ?? {}).flatMap((months) => Object.values(months).flatMap((m) => monthFiles(m).map((f) => f.path))));
  const projectionFiles = Object.values(input.projections).flatMap((months) => Object.values(months).flatMap((m) => m?.files ?? [])).filter((f) => !parentFiles.has(f.path));
  const ownIndex = input.index.filter((f) => f.path.startsWith(`index/${input.version}/`));
  const files = [...input.events, ...ownIndex, ...projectionFiles];
  metrics.bytesWritten.inc({ dataset }, files.reduce((sum, f) => sum + (f.bytes ?? 0), 0));
}

/** Step 6, the commit point: manifest create-only, then CAS of the pointer against the planned base. */
export function publishActivities(deps: ActivityDeps) {
  return {
    async publish(input: PublishInput): Promise<PublishOutcome> {
      const casBy = attemptCasDeadline();
      const { store } = deps;
      const layout = new DatasetLayout(input.dataset);
      const parent = input.base ? await readManifest(store, input.dataset, input.base.manifest) : null;
      if (input.quarantined) {
        const report = await store.get(layout.key(input.quarantined.report));
        await writeOnce(store, layout.key(layout.quarantine(input.version)), report.body);
      }
      await keepSetAside(store, layout, setAsideEntries(input));
      const outcome = await commitVersion({
        store,
        casBy,
        manifest: buildManifest(input, parent, await missingSizes(store, input.dataset, parent)),
        base: input.base,
        publishedAt: input.createdAt,
        beforeCas: () => deps.faults?.("publish:before-cas"),
      });
      if (outcome.status === "published") recordPublished(deps, input, parent);
      else deps.metrics?.casConflicts.inc({ dataset: input.dataset });
      return outcome;
    },
    /**
     * Whether `version` is on the chain from the current pointer back to `base`: decides the outcome
     * of a commit whose publish call failed (its CAS may have been applied before the failure).
     */
    async checkPublished({ dataset, version, base }: { dataset: string; version: string; base: string | null }): Promise<boolean> {
      return isPublished(deps.store, dataset, version, base);
    },
  };
}
