import { NotFoundError } from "../src/errors";
import { schemeOfIndex } from "../src/engine/hash-sql";
import { checkIndexAgainstFold } from "../src/engine/index-check";
import { compareProjections, foldEvents, keysInTwoMonths, liveByMonth, partitionsOf, type EventInput, type ProjectionInput } from "../src/engine/fold";
import type { Workspace } from "../src/engine/workspace";
import { DatasetLayout, monthLabel, parseMonthLabel } from "../src/layout";
import type { Finding } from "../src/maintenance";
import { indexLayers, type IndexEntry, type IndexLayers } from "../src/manifest/index-plan";
import { monthFiles } from "../src/manifest/month-files";
import { parquetMetadata } from "../src/parquet";
import type { ObjectStore } from "../src/store/types";
import { chainEventFiles, eventsByMonth, walkChain, type ChainEventFile } from "./chain";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { withKeepAlive } from "./heartbeat";

/** Most findings one verify reports; the last one says how many more there were. */
export const MAX_FINDINGS = 500;

/** Reads referenced Parquet objects, recording a finding when one is missing or differs from its recorded size/rows. */
class CheckedReader {
  constructor(
    private readonly store: ObjectStore,
    private readonly layout: DatasetLayout,
    private readonly findings: Finding[],
    private readonly workspace: Workspace,
  ) {}

  /** A local copy of the object (checked: present, recorded size and rows, readable footer), or null. */
  async file(check: Finding["check"], path: string, recorded: { rows: number; bytes?: number }): Promise<string | null> {
    const found = (problem: string) => this.findings.push({ check, object: path, problem });
    let body: Uint8Array;
    try {
      body = (await this.store.get(this.layout.key(path))).body;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      found(`The object is missing although the manifest references it.`);
      return null;
    }
    if (recorded.bytes !== undefined && body.length !== recorded.bytes) found(`The object is ${body.length} bytes but the manifest records ${recorded.bytes}.`);
    let rows: number;
    try {
      rows = parquetMetadata(body).numRows;
    } catch (err) {
      found(`The object is not a readable Parquet file (${(err as Error).message}).`);
      return null;
    }
    if (rows !== recorded.rows) found(`The object holds ${rows} rows but the manifest records ${recorded.rows}.`);
    return this.workspace.save(body);
  }
}

interface Differences {
  missing: number;
  extra: number;
  wrong: number;
  duplicates: number;
  elsewhere?: number;
  split?: number;
}

function differences(what: string, d: Differences): string | null {
  const { missing, extra, wrong, duplicates, elsewhere, split } = d;
  const parts: string[] = [];
  if (missing) parts.push(`${missing} live keys of the events are missing`);
  if (extra) parts.push(`${extra} keys are not live in the events`);
  if (wrong) parts.push(`${wrong} keys have a different row hash or month than the events`);
  if (duplicates) parts.push(`${duplicates} keys appear more than once`);
  if (elsewhere) parts.push(`${elsewhere} keys also appear in another month`);
  if (split) parts.push(`${split} keys appear in more than one file of the month`);
  return parts.length ? `${what} differs from the fold of the events: ${parts.join(", ")}; rebuild it with "tidemark verify --repair".` : null;
}

/** Every check of SPEC §5 on the current version of a dataset; the folds and comparisons run on the engine. */
export async function checkDatasetWith(deps: ActivityDeps, dataset: string): Promise<{ version: string | null; findings: Finding[] }> {
  const { store } = deps;
  const layout = new DatasetLayout(dataset);
  const chain = await withKeepAlive(() => walkChain(store, dataset));
  const findings = chain.findings;
  const current = chain.manifests[0];
  if (!current) return { version: chain.pointer?.current_version ?? null, findings };
  if (current.quarantine) {
    try {
      await store.head(layout.key(current.quarantine.path));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      findings.push({ check: "quarantine", object: current.quarantine.path, problem: "The quarantine report is missing although the manifest references it." });
    }
  }
  for (const entry of current.source.set_aside ?? []) {
    const path = layout.setAsideCopy(entry);
    try {
      await store.head(layout.key(path));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      findings.push({ check: "quarantine", object: path, problem: "The set-aside fragment is missing although the manifest names it in source.set_aside; its records cannot be re-pushed from it." });
    }
  }
  await withEngine(
    deps,
    1,
    async (task, workspace) => {
      const reader = new CheckedReader(store, layout, findings, workspace);
      const eventFiles = chainEventFiles(chain.manifests);
      const byMonth = eventsByMonth(eventFiles);
      const labels = [...new Set([...byMonth.keys(), ...Object.values(current.projections).flatMap((m) => Object.keys(m))])].sort();
      const events: EventInput[] = [];
      const read = new Map<ChainEventFile, string>();
      for (const file of eventFiles) {
        const local = await reader.file("events", file.path, file);
        if (!local) continue;
        events.push({ path: local, month: file.single ? null : (parseMonthLabel(file.months[0]) ?? 0), version: file.version });
        read.set(file, local);
      }
      const complete = new Map(labels.map((label) => [label, chain.complete && parseMonthLabel(label) !== undefined && (byMonth.get(label) ?? []).every((f) => read.has(f))]));
      const scheme = schemeOfIndex(current.index);
      const definition = await foldEvents(task, current.schema, events, scheme);
      for (const [file, local] of read) {
        if (!file.single) continue;
        const held = (await partitionsOf(task, definition, local)).map(monthLabel);
        const problem = partitionsProblem(file.months, held);
        if (problem) findings.push({ check: "events", object: file.path, problem });
      }
      const live = await liveByMonth(task);
      for (const { month, key } of await keysInTwoMonths(task, MAX_FINDINGS)) {
        const label = monthLabel(month);
        findings.push({ check: "events", object: byMonth.get(label)?.[0]?.path ?? label, problem: `The events leave key ${key} live in ${label} and in another month; the events are inconsistent — restore them from a backup.` });
      }
      const projectionFiles: ProjectionInput[] = [];
      const where = new Map<string, string>();
      for (const label of labels) {
        const month = parseMonthLabel(label);
        for (const [name, projection] of Object.entries(current.projections)) {
          const entry = projection[label];
          const liveKeys = complete.get(label) ? (live.get(month!) ?? 0) : 0;
          if (!entry) {
            if (liveKeys > 0) findings.push({ check: "projection", object: `projections/${name}/${label}`, problem: `Month ${label} of projection ${name} is missing from the manifest although the events leave ${liveKeys} live keys in it.` });
            continue;
          }
          const files = monthFiles(entry);
          const object = files.length === 1 ? files[0].path : `projections/${name}/${label}`;
          const summed = files.reduce((n, f) => n + f.rows, 0);
          if (summed !== entry.rows) findings.push({ check: "projection", object, problem: `Month ${label} of projection ${name} records ${entry.rows} rows but its files record ${summed}.` });
          const locals: string[] = [];
          for (const file of files) {
            const local = await reader.file("projection", file.path, file);
            if (local) locals.push(local);
          }
          if (locals.length !== files.length || !complete.get(label)) continue;
          if (!byMonth.has(label)) {
            findings.push({ check: "projection", object, problem: `The manifest lists month ${label} of projection ${name} but no event ever touched that month.` });
            continue;
          }
          for (const local of locals) projectionFiles.push({ name, month: month!, path: local });
          where.set(`${name}/${month}`, object);
        }
      }
      const compared = await compareProjections(task, definition, projectionFiles, scheme);
      for (const [id, object] of where) {
        const [name, month] = [id.slice(0, id.lastIndexOf("/")), Number(id.slice(id.lastIndexOf("/") + 1))];
        const problem = differences(`Month ${monthLabel(month)} of projection ${name}`, compared.get(id)!);
        if (problem) findings.push({ check: "projection", object, problem });
      }
      const foldable = chain.complete && [...complete.values()].every(Boolean);
      let layers: IndexLayers;
      try {
        layers = indexLayers(current.index);
      } catch (err) {
        findings.push({ check: "index", object: layout.versionManifest(current.version), problem: (err as Error).message });
        return;
      }
      const locals = async (files: IndexEntry[]) => {
        const found: string[] = [];
        for (const file of files) {
          const local = await reader.file("index", file.path, file);
          if (local) found.push(local);
        }
        return found;
      };
      const index = { files: await locals(layers.base), deltas: await locals(layers.deltas) };
      if (!foldable || index.files.length + index.deltas.length !== current.index.length) return;
      const checked = await checkIndexAgainstFold(task, index);
      if (checked.malformed) {
        findings.push({ check: "index", object: current.index[0].path, problem: `The index file is malformed (${checked.malformed}).` });
        return;
      }
      const object = current.index[0]?.path ?? `index/${current.version}/`;
      const problem = differences("The index", { missing: checked.expected - checked.matched - checked.wrong, extra: checked.extra, wrong: checked.wrong, duplicates: checked.duplicates });
      if (problem) findings.push({ check: "index", object, problem });
      if (current.totals.rows_total !== checked.expected) {
        findings.push({ check: "totals", object: layout.versionManifest(current.version), problem: `The manifest records ${current.totals.rows_total} live rows but the events leave ${checked.expected}.` });
      }
    },
    async () => undefined,
  );
  if (findings.length > MAX_FINDINGS) {
    const more = findings.length - MAX_FINDINGS + 1;
    findings.splice(MAX_FINDINGS - 1, findings.length, { check: findings[MAX_FINDINGS - 1].check, object: "(more)", problem: `${more} further findings were left out.` });
  }
  return { version: current.version, findings };
}

/** How the partitions a version's event file holds differ from those its manifest entry lists, or null. */
export function partitionsProblem(listed: string[], held: string[]): string | null {
  const unlisted = held.filter((m) => !listed.includes(m));
  const empty = listed.filter((m) => !held.includes(m));
  if (unlisted.length === 0 && empty.length === 0) return null;
  const some = (ms: string[]) => `${ms.slice(0, 3).join(", ")}${ms.length > 3 ? ` and ${ms.length - 3} more` : ""}`;
  const parts = [unlisted.length > 0 ? `holds rows of ${some(unlisted)}, which its manifest entry does not list` : "", empty.length > 0 ? `holds no row of ${some(empty)}, which its manifest entry lists` : ""].filter(Boolean);
  return `The event file ${parts.join(" and ")}; the events are inconsistent — restore them from a backup.`;
}

/** The checks of `verifyDataset`; they return findings (small), never rows. */
export function verifyActivities(deps: ActivityDeps) {
  return {
    /** Checks pointer, manifests, every referenced object and the folds of the events (SPEC §5). */
    async checkDataset({ dataset }: { dataset: string }) {
      const result = await checkDatasetWith(deps, dataset);
      if (result.findings.length > 0) deps.metrics?.verifyFindings.inc({ dataset }, result.findings.length);
      return result;
    },
  };
}
