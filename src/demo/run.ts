import { WorkflowFailedError } from "@temporalio/client";
import type { WorkflowBundleOption } from "@temporalio/worker";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { sourcePolicyFromEnv, type SourcePolicy } from "../sources/allow";
import { stringify } from "yaml";
import { follow } from "../cli/commands/ingest";
import { listFiles } from "../cli/commands/files";
import { duckdbCommand, loadVersion, projectionFiles, versionChain } from "../cli/dataset-view";
import { rootFailure } from "../cli/failure";
import { textTable, tableObjects, type Cell } from "../cli/render";
import { waitForSignal } from "../cli/signals";
import { runUrl } from "../config/runtime";
import type { IngestInput, IngestResult } from "../contracts";
import { validateDefinitionObject } from "../definition";
import { startEmbeddedStack, type EmbeddedStack } from "../devstack/embedded";
import { TidemarkError } from "../errors";
import { DatasetLayout } from "../layout";
import { ingestWorkflowId } from "../one-writer";
import { decodeParquet } from "../parquet";
import { openStore } from "../store/open";
import type { ObjectStore } from "../store/types";
import { pushBurst, type PushOutcome, writePushDefinition } from "./push";
import { demoDefinition, DROPPED_SERIES, releaseV1, releaseV2, toCsv } from "./rates";

/** The demo could not complete. */
export class DemoFailedError extends TidemarkError {}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Working directory of the demo, wiped at start (default `.tidemark/demo`). */
  dir?: string;
  /** Keep the stack running after the demo until SIGINT/SIGTERM. */
  keep?: boolean;
  /** Writes one line of output. */
  say?: (line: string) => void;
  /** A pre-built workflow bundle (tests); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Use any free ports instead of preferring 7233/8233 (tests). */
  anyPorts?: boolean;
}

/** What the demo published, for callers and tests. */
export interface DemoOutcome {
  dataset: string;
  storeUrl: string;
  results: IngestResult[];
  duckdb: string;
  uiUrl?: string;
  /** The push burst: what was acknowledged and what compaction published. */
  push: PushOutcome;
}

const DATASET = "fx_rates";
const SHOWN_SERIES = "FX.EURUSD.M";

function n(value: number): string {
  return value.toLocaleString("en-US");
}

async function ingest(stack: EmbeddedStack, definition: Record<string, unknown>, say: (line: string) => void): Promise<IngestResult> {
  const input: IngestInput = { dataset: DATASET, definition };
  const started = Date.now();
  const handle = await stack.client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: stack.taskQueue, args: [input] });
  let result: IngestResult;
  try {
    result = await follow(handle, false);
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new DemoFailedError(`The demo ingest failed: ${rootFailure(err).message}`);
    throw err;
  }
  const c = result.counts;
  say(`  ${result.status} version ${result.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`  inserted ${n(c.inserted)} · updated ${n(c.updated)} · deleted ${n(c.deleted)} · unchanged ${n(c.unchanged)} · rows now ${n(c.rowsTotal)} · months touched ${result.months.length}`);
  return result;
}

async function seriesRows(store: ObjectStore, version: string, series: string, months: number): Promise<Record<string, Cell>[]> {
  const view = await loadVersion(store, DATASET, version);
  const files = projectionFiles(store, view, "latest").slice(-months);
  const layout = new DatasetLayout(DATASET);
  const rows: Record<string, Cell>[] = [];
  for (const f of files) {
    rows.push(...tableObjects(decodeParquet((await store.get(layout.key(f.path))).body)).filter((r) => r.series_id === series));
  }
  return rows;
}

function showRows(say: (line: string) => void, rows: Record<string, Cell>[]): void {
  if (rows.length === 0) return say("    (no rows)");
  const header = Object.keys(rows[0]);
  for (const line of textTable(header, rows.map((r) => header.map((h) => r[h]))).split("\n")) say(`    ${line}`);
}

async function countSeries(store: ObjectStore, version: string, series: string): Promise<number> {
  const view = await loadVersion(store, DATASET, version);
  const layout = new DatasetLayout(DATASET);
  let count = 0;
  for (const f of projectionFiles(store, view, "latest")) {
    const t = decodeParquet((await store.get(layout.key(f.path))).body, { columns: ["series_id"] });
    const ids = t.getChild("series_id")!;
    for (let i = 0; i < t.numRows; i++) if (ids.get(i) === series) count++;
  }
  return count;
}

async function report(stack: EmbeddedStack, store: ObjectStore, dir: string, results: IngestResult[], say: (line: string) => void): Promise<string> {
  const [v1, v2] = results;
  say("");
  say(`${SHOWN_SERIES}, last months as read back from the store:`);
  say(`  v1 (${v1.version}): the last 3 months are provisional (status P)`);
  showRows(say, await seriesRows(store, v1.version, SHOWN_SERIES, 4));
  say(`  v2 (${v2.version}): provisional months revised, a new month added`);
  showRows(say, await seriesRows(store, v2.version, SHOWN_SERIES, 5));
  say(`  ${DROPPED_SERIES}: ${n(await countSeries(store, v1.version, DROPPED_SERIES))} rows in v1, ${n(await countSeries(store, v2.version, DROPPED_SERIES))} in v2 (discontinued: snapshot mode deletes it)`);
  say("");
  say("versions (newest first):");
  const chain: Cell[][] = [];
  for await (const m of versionChain(store, DATASET)) chain.push([m.version, m.created_at, m.totals.inserted, m.totals.updated, m.totals.deleted, m.totals.rows_total]);
  for (const line of textTable(["VERSION", "CREATED", "INSERTED", "UPDATED", "DELETED", "ROWS"], chain).split("\n")) say(`  ${line}`);
  const listing = await listFiles(store, DATASET);
  const script = join(dir, "duckdb-current.sh");
  writeFileSync(script, `#!/bin/sh\n# Reads the current version of ${DATASET} (${listing.version}) with the DuckDB CLI.\n${listing.duckdb}\n`, { mode: 0o755 });
  const newest = listing.files[listing.files.length - 1];
  const storeEnv = `TIDEMARK_STORE=${pathToFileURL(resolve(dir, "store")).href}`;
  say("");
  say(`query the current version with DuckDB (${listing.files.length} month files; the full command is in ${relative(process.cwd(), script) || script}):`);
  say(`  sh ${relative(process.cwd(), script) || script}`);
  say(`  ${duckdbCommand([newest])}    # one month`);
  say(`or list the files yourself: ${storeEnv} npx tidemark files ${DATASET}`);
  say("");
  if (stack.uiUrl) {
    say(`Temporal UI: ${stack.uiUrl}`);
    for (const r of results) say(`  ${r.version}: ${runUrl(stack.uiUrl, stack.namespace, r.workflowId, r.runId)}`);
  }
  return listing.duckdb;
}

/** The demo worker's sources: `TIDEMARK_SOURCE_ALLOW` when set, else the defaults plus the demo's own source directory. */
function demoSourcePolicy(dir: string, storeUrl: string): SourcePolicy {
  const policy = sourcePolicyFromEnv(process.env, { datasetsDir: join(dir, "datasets"), storeUrl });
  return policy.allow === null ? { ...policy, fileRoots: [...policy.fileRoots, join(dir, "source")] } : policy;
}

/**
 * Runs the demo: an embedded Temporal dev server and worker, a bundled monthly rates release
 * ingested twice through the real workflow (v1, then a revised v2), and what a consumer sees; then
 * a burst of records pushed over HTTP to `tidemark serve`, compacted into versions and read back.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoOutcome> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = resolve(options.dir ?? join(".tidemark", "demo"));
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ["store", "source", "datasets"]) mkdirSync(join(dir, sub), { recursive: true });
  const storeUrl = pathToFileURL(join(dir, "store")).href;
  const sourcePath = join(dir, "source", "rates.csv");
  const definition = demoDefinition(DATASET, pathToFileURL(sourcePath).href);
  validateDefinitionObject(definition, `${DATASET} demo definition`);
  writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), stringify(definition));
  const pushed = writePushDefinition(join(dir, "datasets"));

  say("starting the embedded stack (Temporal dev server + worker)…");
  const stack = await startEmbeddedStack({
    port: options.anyPorts ? "any" : "prefer-7233",
    uiPort: options.anyPorts ? "any" : "prefer-8233",
    storeUrl,
    datasetsDir: join(dir, "datasets"),
    workflowBundle: options.workflowBundle,
    sourcePolicy: demoSourcePolicy(dir, storeUrl),
    logLevel: "ERROR",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    say(`Temporal ${stack.address}${stack.uiUrl ? `, UI ${stack.uiUrl}` : ""}; store ${storeUrl}`);
    const store = openStore(storeUrl);
    const results: IngestResult[] = [];
    const v1 = releaseV1();
    writeFileSync(sourcePath, toCsv(v1));
    say("");
    say(`v1: first release, ${n(v1.length)} observations of 40 monthly series (2015-01 … 2024-12) in ${relative(process.cwd(), sourcePath)}`);
    results.push(await ingest(stack, definition, say));
    const v2 = releaseV2();
    writeFileSync(sourcePath, toCsv(v2));
    say("");
    say(`v2: next release, ${n(v2.length)} observations: 2025-01 added, provisional months revised, ${DROPPED_SERIES} discontinued`);
    results.push(await ingest(stack, definition, say));
    const duckdb = await report(stack, store, dir, results, say);
    say("");
    const push = await pushBurst(stack, store, pushed, say);
    if (options.keep) {
      const signals = waitForSignal();
      say("");
      say(`the stack keeps running; use the CLI against it with: export TEMPORAL_ADDRESS=${stack.address} TIDEMARK_STORE=${storeUrl}\nCtrl-C stops it.`);
      await signals.received;
      signals.dispose();
      say("stopping…");
    } else {
      say("");
      say('stopping the stack (run "tidemark demo --keep" to keep it up and browse the UI).');
    }
    return { dataset: DATASET, storeUrl, results, duckdb, uiUrl: stack.uiUrl, push };
  } finally {
    await stack.stop();
  }
}
