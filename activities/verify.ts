import type { Table } from "apache-arrow";
import { indexChunkFromRecordBatch, KeyIndex } from "../src/delta";
import { NotFoundError } from "../src/errors";
import { hashColumns, hashToHex } from "../src/hash";
import { DatasetLayout, parseMonthLabel } from "../src/layout";
import type { Finding } from "../src/maintenance";
import type { VersionManifest } from "../src/manifest/schema";
import { decodeParquet, parquetMetadata } from "../src/parquet";
import type { ObjectStore } from "../src/store/types";
import { columnsOf, eventsByMonth, foldMonth, walkChain, type Columns, type MonthFold } from "./chain";
import type { ActivityDeps } from "./deps";
import { plainStrings } from "./frames";
import { heartbeater } from "./heartbeat";
import { withEngine } from "./engine";
import { IO_CONCURRENCY, mapLimited } from "./io";
import { checkIndex } from "../src/engine/index-check";
import { HASHING } from "../src/engine/hash-sql";

/** Most findings one verify reports; the last one says how many more there were. */
export const MAX_FINDINGS = 500;

/** Reads referenced Parquet objects, recording a finding when one is missing or differs from its recorded size/rows. */
class CheckedReader {
  constructor(private readonly store: ObjectStore, private readonly layout: DatasetLayout, private readonly findings: Finding[]) {}

  async table(check: Finding["check"], path: string, recorded: { rows: number; bytes?: number }): Promise<Table | null> {
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
    return decodeParquet(body);
  }
}

interface Differences {
  missing: number;
  extra: number;
  wrong: number;
  duplicates: number;
  elsewhere?: number;
}

function differences(what: string, d: Differences): string | null {
  const { missing, extra, wrong, duplicates, elsewhere } = d;
  const parts: string[] = [];
  if (missing) parts.push(`${missing} live keys of the events are missing`);
  if (extra) parts.push(`${extra} keys are not live in the events`);
  if (wrong) parts.push(`${wrong} keys have a different row hash or month than the events`);
  if (duplicates) parts.push(`${duplicates} keys appear more than once`);
  if (elsewhere) parts.push(`${elsewhere} keys also appear in another month`);
  return parts.length ? `${what} differs from the fold of the events: ${parts.join(", ")}; rebuild it with "tidemark verify --repair".` : null;
}

function compareProjection(table: Table, fold: MonthFold, columns: Columns, month: number, seen: KeyIndex): Differences {
  const expected = new Map<string, string>();
  for (const r of fold.live) expected.set(hashToHex(fold.keys, r), hashToHex(fold.rows, r));
  const plain = plainStrings(table);
  const keys = hashColumns(plain, columns.key);
  const rows = hashColumns(plain, columns.values);
  let matched = 0;
  let extra = 0;
  let wrong = 0;
  let duplicates = 0;
  let elsewhere = 0;
  const inFile = new Set<string>();
  for (let i = 0; i < plain.numRows; i++) {
    const key = hashToHex(keys, i);
    if (inFile.has(key)) {
      duplicates++;
      continue;
    }
    inFile.add(key);
    const other = seen.get(keys, i * 4);
    if (other !== 0 && other !== month) elsewhere++;
    else seen.set(keys, i * 4, rows, i * 4, month);
    const want = expected.get(key);
    if (want === undefined) extra++;
    else if (want !== hashToHex(rows, i)) wrong++;
    else matched++;
  }
  return { missing: Math.max(0, expected.size - matched - wrong), extra, wrong, duplicates, elsewhere };
}

async function compareIndex(reader: CheckedReader, manifest: VersionManifest, expected: KeyIndex, findings: Finding[]): Promise<void> {
  const actual = new KeyIndex(expected.size);
  const object = manifest.index[0]?.path ?? `index/${manifest.version}/`;
  let matched = 0;
  let extra = 0;
  let wrong = 0;
  let duplicates = 0;
  for (const file of manifest.index) {
    const table = await reader.table("index", file.path, file);
    if (!table) return;
    for (const batch of table.batches) {
      let chunk;
      try {
        chunk = indexChunkFromRecordBatch(batch);
      } catch (err) {
        findings.push({ check: "index", object: file.path, problem: `The index file is malformed (${(err as Error).message.replace(/\.$/, "")}).` });
        return;
      }
      for (let i = 0; i < chunk.length; i++) {
        if (!actual.set(chunk.keyHashes, i * 4, chunk.rowHashes, i * 4, Math.max(1, chunk.months[i]))) {
          duplicates++;
          continue;
        }
        const slot = expected.find(chunk.keyHashes, i * 4);
        if (slot < 0) extra++;
        else if (expected.monthAt(slot) !== chunk.months[i] || !expected.rowHashEquals(slot, chunk.rowHashes, i * 4)) wrong++;
        else matched++;
      }
    }
  }
  const problem = differences("The index", { missing: expected.size - matched - wrong, extra, wrong, duplicates });
  if (problem) findings.push({ check: "index", object, problem });
}

/**
 * The index check for an index of the engine's hashing: every object read and size-checked, then
 * the index compared with the fold of all events of the chain by the engine; returns the live keys.
 */
async function compareIndexWithEngine(deps: ActivityDeps, reader: CheckedReader, manifests: VersionManifest[], findings: Finding[]): Promise<number> {
  const current = manifests[0];
  for (const file of current.index) if (!(await reader.table("index", file.path, file))) return -1;
  const layout = new DatasetLayout(current.dataset_id);
  const eventPaths = manifests.flatMap((m) => m.events.map((e) => e.path));
  const result = await withEngine(
    deps,
    1,
    async (task, workspace) => {
      const local = (paths: string[]) => mapLimited(paths, IO_CONCURRENCY, (p) => workspace.local(layout.key(p)));
      return checkIndex(task, current.schema, await local(eventPaths), await local(current.index.map((f) => f.path)));
    },
    async (r) => r,
  );
  const object = current.index[0]?.path ?? `index/${current.version}/`;
  const problem = differences("The index", { missing: result.expected - result.matched - result.wrong, extra: result.extra, wrong: result.wrong, duplicates: result.duplicates });
  if (problem) findings.push({ check: "index", object, problem });
  return result.expected;
}

/** Every check of SPEC §5 on the current version of a dataset. */
export async function checkDatasetWith(store: ObjectStore, dataset: string, deps: ActivityDeps = { store, datasetsDir: "" }): Promise<{ version: string | null; findings: Finding[] }> {
  const layout = new DatasetLayout(dataset);
  const beat = heartbeater();
  const chain = await walkChain(store, dataset);
  const findings = chain.findings;
  const current = chain.manifests[0];
  if (!current) return { version: chain.pointer?.current_version ?? null, findings };
  const reader = new CheckedReader(store, layout, findings);
  const columns = columnsOf(current);
  if (current.quarantine) {
    try {
      await store.head(layout.key(current.quarantine.path));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      findings.push({ check: "quarantine", object: current.quarantine.path, problem: "The quarantine report is missing although the manifest references it." });
    }
  }
  const byMonth = eventsByMonth(chain.manifests);
  const months = [...new Set([...byMonth.keys(), ...Object.values(current.projections).flatMap((m) => Object.keys(m))])].sort();
  const expected = new KeyIndex();
  const seen = new Map(Object.keys(current.projections).map((name) => [name, new KeyIndex()]));
  let foldable = chain.complete;
  for (const [i, label] of months.entries()) {
    const month = parseMonthLabel(label);
    const tables: Table[] = [];
    for (const file of byMonth.get(label) ?? []) {
      const table = await reader.table("events", file.path, file);
      if (table) tables.push(table);
    }
    const complete = chain.complete && month !== undefined && tables.length === (byMonth.get(label)?.length ?? 0);
    foldable &&= complete;
    const fold = complete && tables.length > 0 ? foldMonth(tables, columns) : null;
    if (fold) {
      for (const r of fold.live) {
        if (!expected.set(fold.keys, r * 4, fold.rows, r * 4, month!)) {
          findings.push({ check: "events", object: byMonth.get(label)![0].path, problem: `The events leave key ${hashToHex(fold.keys, r)} live in ${label} and in another month; the events are inconsistent — restore them from a backup.` });
        }
      }
    }
    for (const [name, projection] of Object.entries(current.projections)) {
      const entry = projection[label];
      const live = fold?.live.length ?? 0;
      if (!entry) {
        if (live > 0) findings.push({ check: "projection", object: `projections/${name}/${label}`, problem: `Month ${label} of projection ${name} is missing from the manifest although the events leave ${live} live keys in it.` });
        continue;
      }
      const table = await reader.table("projection", entry.path, entry);
      if (!table || !complete) continue;
      if (!fold) {
        findings.push({ check: "projection", object: entry.path, problem: `The manifest lists month ${label} of projection ${name} but no event ever touched that month.` });
        continue;
      }
      const d = compareProjection(table, fold, columns, month!, seen.get(name)!);
      const problem = differences(`Month ${label} of projection ${name}`, d);
      if (problem) findings.push({ check: "projection", object: entry.path, problem });
    }
    beat({ monthsDone: i + 1, months: months.length });
  }
  if (foldable) {
    const engineHashed = current.index.length > 0 && current.index.every((f) => f.hashing === HASHING);
    let live = expected.size;
    if (engineHashed) live = await compareIndexWithEngine(deps, reader, chain.manifests, findings);
    else await compareIndex(reader, current, expected, findings);
    if (live >= 0 && current.totals.rows_total !== live) {
      findings.push({ check: "totals", object: layout.versionManifest(current.version), problem: `The manifest records ${current.totals.rows_total} live rows but the events leave ${live}.` });
    }
  } else {
    for (const file of current.index) await reader.table("index", file.path, file);
  }
  if (findings.length > MAX_FINDINGS) {
    const more = findings.length - MAX_FINDINGS + 1;
    findings.splice(MAX_FINDINGS - 1, findings.length, { check: findings[MAX_FINDINGS - 1].check, object: "(more)", problem: `${more} further findings were left out.` });
  }
  return { version: current.version, findings };
}

/** The checks of `verifyDataset`; they return findings (small), never rows. */
export function verifyActivities(deps: ActivityDeps) {
  return {
    /** Checks pointer, manifests, every referenced object and the folds of the events (SPEC §5). */
    async checkDataset({ dataset }: { dataset: string }) {
      const result = await checkDatasetWith(deps.store, dataset, deps);
      if (result.findings.length > 0) deps.metrics?.verifyFindings.inc({ dataset }, result.findings.length);
      return result;
    },
  };
}
