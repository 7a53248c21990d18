import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { vi } from "vitest";
import { main } from "../../src/cli/main";
import type { PartitionBy } from "../../src/definition/partition";
import { DatasetLayout, parseMonthLabel } from "../../src/layout";
import { serializeJson } from "../../src/manifest/schema";
import { Validity, date32Column, encodeParquet, float64Column, tableFrom, timestampColumn, utf8Column } from "../../src/parquet";
import { seriesDefinitionYaml } from "../support/definitions";
import { FsObjectStore } from "../../src/store/fs";

/** What one CLI invocation printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** A CLI invocation still running: its output so far and its eventual result. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

/**
 * Starts `tidemark <args>` in-process with `env` overlaid on process.env, capturing stdout and
 * stderr until it returns. Do not start another CLI run while one is running.
 */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const capture = (into: Buffer[]) => (chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation(capture(out) as never);
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation(capture(err) as never);
  const done = (async () => {
    try {
      const code = await main(["node", "tidemark", ...args]);
      const stdoutBytes = Buffer.concat(out);
      return { code, stdout: stdoutBytes.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), stdoutBytes };
    } finally {
      outSpy.mockRestore();
      errSpy.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  })();
  return { stdout: () => Buffer.concat(out).toString("utf8"), stderr: () => Buffer.concat(err).toString("utf8"), done };
}

/** The built CLI's entry point (`npm run build` writes what it loads). */
export const CLI_BIN = join(__dirname, "..", "..", "bin", "tidemark.js");

/**
 * Runs the built `tidemark <args>` as a child process with `env` over process.env, so what happens
 * after the command's own output (an uncaught error, a write to a closed pipe) shows in its exit
 * code and stderr. With `closeStdout`, the reading end of its stdout is closed before it writes.
 */
export function runBuiltCli(args: string[], env: Record<string, string>, opts: { closeStdout?: boolean } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env, TIDEMARK_COMPILE_CACHE: "off" } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, stdoutBytes: Buffer.from(stdout) });
    });
    if (opts.closeStdout) child.stdout?.destroy();
  });
}

/** Runs `tidemark <args>` in-process (see {@link startCli}) and waits for it. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** A temporary directory and its file:// URL; `cleanup` removes it. */
export function tempStore(label: string): { dir: string; url: string; store: FsObjectStore; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tidemark-cli-${label}-`));
  return { dir, url: pathToFileURL(dir).href, store: new FsObjectStore(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One row of the hand-published test dataset. */
export interface HandRow {
  series_id: string;
  obs_date: string;
  value: number | null;
  note: string | null;
  updated_at: string;
}

/** One hand-published version: its id and every live row, grouped into months by `obs_date`. */
export interface HandVersion {
  version: string;
  rows: HandRow[];
  /** Months this version rewrites; the others are carried forward from the parent. */
  touched: string[];
  counts: { inserted: number; updated: number; deleted: number };
}

const DAY_MS = 86_400_000;

function monthTable(rows: HandRow[]) {
  const sorted = [...rows].sort((a, b) => (a.series_id === b.series_id ? a.obs_date.localeCompare(b.obs_date) : a.series_id.localeCompare(b.series_id)));
  return tableFrom({
    series_id: utf8Column(sorted.map((r) => r.series_id)),
    obs_date: date32Column(Int32Array.from(sorted.map((r) => Date.parse(`${r.obs_date}T00:00:00Z`) / DAY_MS))),
    value: float64Column(Float64Array.from(sorted.map((r) => r.value ?? 0)), Validity.from(sorted.length, (i) => sorted[i].value === null)),
    note: utf8Column(sorted.map((r) => r.note)),
    updated_at: timestampColumn(BigInt64Array.from(sorted.map((r) => BigInt(Date.parse(r.updated_at)) * 1000n + 7n))),
  });
}

/**
 * Publishes versions of `dataset` into `store` exactly as SPEC §2 lays them out: projection month
 * files (create-only keys), a version manifest per version, and the pointer at the last one.
 * `touched` labels are partitions of `partitionBy`'s granularity (`2024`, `2024-11` or `2024-11-01`).
 */
export async function publishByHand(store: FsObjectStore, dataset: string, versions: HandVersion[], partitionBy: PartitionBy = "obs_date"): Promise<void> {
  const layout = new DatasetLayout(dataset);
  let parent: string | null = null;
  let months: Record<string, { path: string; rows: number; bytes: number }> = {};
  for (const v of versions) {
    months = { ...months };
    const events: { path: string; month: string; rows: number; bytes: number; inserted: number; updated: number; deleted: number }[] = [];
    for (const label of v.touched) {
      const rows = v.rows.filter((r) => r.obs_date.startsWith(label));
      if (rows.length > 0) {
        const table = monthTable(rows);
        const eventTable = tableFrom({ ...Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)!])), _op: utf8Column(rows.map(() => "insert")) });
        const eventBytes = encodeParquet(eventTable);
        const eventPath = layout.eventPart(v.version, parseMonthLabel(label)!, 0);
        await store.put(layout.key(eventPath), eventBytes, { kind: "create" });
        events.push({ path: eventPath, month: label, rows: rows.length, bytes: eventBytes.length, inserted: rows.length, updated: 0, deleted: 0 });
      }
      if (rows.length === 0) {
        delete months[label];
        continue;
      }
      const bytes = encodeParquet(monthTable(rows));
      const path = layout.projection("latest", parseMonthLabel(label)!, v.version);
      await store.put(layout.key(path), bytes, { kind: "create" });
      months[label] = { path, rows: rows.length, bytes: bytes.length };
    }
    const manifest = {
      format: "tidemark.version/1",
      dataset_id: dataset,
      version: v.version,
      parent_version: parent,
      created_at: new Date(Date.parse(`${v.version.slice(0, 4)}-${v.version.slice(4, 6)}-${v.version.slice(6, 8)}T00:00:00Z`)).toISOString(),
      run: { workflow_id: `tidemark/ingest/${dataset}`, run_id: `run-${v.version}` },
      source: { uri: "file:///nowhere/source.csv", bytes: 0, sha256: "0".repeat(64), etag: null },
      schema: {
        columns: [
          { name: "series_id", type: "string" },
          { name: "obs_date", type: "date" },
          { name: "value", type: "double" },
          { name: "note", type: "string" },
          { name: "updated_at", type: "timestamp" },
        ],
        key: ["series_id", "obs_date"],
        partition_by: partitionBy,
      },
      events,
      index: [],
      projections: { latest: months },
      totals: { rows_total: v.rows.length, ...v.counts },
    };
    await store.put(layout.key(layout.versionManifest(v.version)), serializeJson(manifest), { kind: "create" });
    const pointer = {
      format: "tidemark.pointer/1",
      dataset_id: dataset,
      current_version: v.version,
      manifest: layout.versionManifest(v.version),
      parent_version: parent,
      published_at: manifest.created_at,
    };
    await store.put(layout.key(layout.pointer()), serializeJson(pointer), { kind: "overwrite" });
    parent = v.version;
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Writes `<dir>/<id>.yaml`: a CSV dataset keyed by (series_id, obs_date), snapshot mode. */
export function writeDefinition(dir: string, id: string, sourceUri: string): string {
  const path = join(dir, `${id}.yaml`);
  writeFileSync(path, seriesDefinitionYaml({ id, uri: sourceUri, mode: "snapshot" }));
  return path;
}
