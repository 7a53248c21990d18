import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import type { IngestResult } from "../../src/contracts";
import { FragmentIds } from "../../src/intake/fragment-id";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { runCli } from "../cli/helpers";
import { services } from "../support/services";
import { openDuck, rows } from "../support/duck";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { CLICKS_YAML, ndjson, normalizedClick } from "./bed";

/**
 * Fragments DuckDB cannot read (a value that does not cast, a truncated line), as an older server
 * or a corrupted store leaves them: the compaction sets them aside and applies the rest, instead of
 * failing every compaction on them.
 */
const DATASET = "clicks_poison";
const ROOT = `datasets/${DATASET}/`;
const YAML = CLICKS_YAML.replace("id: clicks", `id: ${DATASET}`);
const UNCASTABLE = `${JSON.stringify({ ...normalizedClick("p1"), n: "abc" })}\n`;
const TRUNCATED = `${JSON.stringify(normalizedClick("p2")).slice(0, 30)}\n`;

let store: FsObjectStore;
let dir: string;
let worker: RunningWorker;
let client: Client;
let taskQueue: string;
const ids = new FragmentIds();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidemark-poison-"));
  store = new FsObjectStore(join(dir, "store"));
  mkdirSync(join(dir, "datasets"));
  writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), YAML);
  taskQueue = uniqueTaskQueue("poison");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: join(dir, "datasets"), taskQueue, client });
});
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

/** One compaction; the old code retried the failing prepare until this timeout. */
const compact = async () =>
  (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue, args: [{ dataset: DATASET }], workflowExecutionTimeout: "90s" })) as IngestResult;

async function push(body: string): Promise<string> {
  const id = ids.next();
  await store.put(`${ROOT}inbox/${id}`, body, { kind: "create" });
  return id;
}

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(ROOT + prefix)) out.push(o.key.slice(ROOT.length));
  return out.sort();
}

async function current(): Promise<VersionManifest> {
  const pointer = parsePointer((await store.get(`${ROOT}current/manifest.json`)).body);
  return parseVersionManifest((await store.get(ROOT + pointer.manifest)).body);
}

async function publishedIds(m: VersionManifest): Promise<string[]> {
  const files = Object.values(m.projections.latest).flatMap(monthFiles).map((f) => `'${join(dir, "store", ROOT, f.path)}'`);
  const duck = await openDuck();
  try {
    return (await rows(duck.conn, `SELECT id FROM read_parquet([${files.join(",")}]) ORDER BY id`)).map((r) => String(r.id));
  } finally {
    duck.close();
  }
}

describe("a compaction with fragments DuckDB cannot read [file store, real dev server]", () => {
  let poison: string[];
  /** The version that set `poison` aside: its copies are under quarantine/fragments/<version>/. */
  let poisonVersion: string;

  it("sets them aside under quarantine/fragments/, publishes the other fragments' rows and empties the inbox", async () => {
    const good = await push(ndjson([normalizedClick("a"), normalizedClick("b")]));
    poison = [await push(UNCASTABLE), await push(TRUNCATED)];
    const later = await push(ndjson([normalizedClick("c")]));
    const result = await compact();
    poisonVersion = result.version;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 3, rowsTotal: 3 }, setAside: { fragments: 2, prefix: `${ROOT}quarantine/fragments/${poisonVersion}/` } });
    expect(result.setAside!.message).toMatch(new RegExp(`^2 fragments set aside to datasets/clicks_poison/quarantine/fragments/${poisonVersion}/: `));
    expect(result.setAside!.message).toMatch(/: .*Failed to cast value to numerical.*; fix and re-push their records\.$/);
    const m = await current();
    expect(m.source.fragments).toEqual([good, ...poison, later]);
    expect(m.source.set_aside?.map((f) => f.fragment)).toEqual(poison);
    expect(m.source.set_aside?.map((f) => f.path)).toEqual(poison.map((id) => `quarantine/fragments/${poisonVersion}/${id}`));
    expect(m.source.set_aside![0].reason).toMatch(/^JSON transform error in line 1: Failed to cast value to numerical: "…"\.$/);
    expect(m.source.set_aside![1].reason).toMatch(/^Malformed JSON/);
    for (const f of m.source.set_aside!) expect(f.reason).not.toMatch(/tidemark-engine|Try setting/);
    expect(await publishedIds(m)).toEqual(["a", "b", "c"]);
    expect(await keys("quarantine/")).toEqual(poison.map((id) => `quarantine/fragments/${poisonVersion}/${id}`));
    expect(Buffer.from((await store.get(`${ROOT}quarantine/fragments/${poisonVersion}/${poison[0]}`)).body).toString()).toBe(UNCASTABLE);
    expect(await keys("inbox/")).toEqual([]);
  }, 180_000);

  it("a later compaction neither applies nor sets them aside again; verify is clean and gc keeps their copies", async () => {
    await push(ndjson([normalizedClick("d")]));
    const next = await compact();
    expect(next).toMatchObject({ status: "published", counts: { inserted: 1, rowsTotal: 4 } });
    expect(next.setAside).toBeUndefined();
    expect((await current()).source.set_aside).toBeUndefined();
    expect(await compact()).toMatchObject({ status: "unchanged" });
    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
    const gc = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${DATASET}`, taskQueue, args: [{ dataset: DATASET, olderThan: 0 }] })) as GcResult;
    expect(gc.keys.filter((k) => k.startsWith("quarantine/"))).toEqual([]);
    expect(await keys("quarantine/")).toEqual(poison.map((id) => `quarantine/fragments/${poisonVersion}/${id}`));
  }, 180_000);

  it("sets aside a fragment with a null key or a null partition instead of publishing a null key or failing on the partition", async () => {
    const nullKey = await push(ndjson([normalizedClick("e"), { ...normalizedClick("x"), id: null }]));
    const nullPartition = await push(ndjson([{ ...normalizedClick("y"), at: null }]));
    const result = await compact();
    expect(result).toMatchObject({ status: "published", counts: { inserted: 0, rowsTotal: 4 }, setAside: { fragments: 2 } });
    expect((await current()).source.set_aside).toEqual([
      { fragment: nullKey, reason: 'Key column "id" is null.', path: `quarantine/fragments/${result.version}/${nullKey}` },
      { fragment: nullPartition, reason: 'Partition column "at" is null or outside the partition years 1000–9999.', path: `quarantine/fragments/${result.version}/${nullPartition}` },
    ]);
    expect(await publishedIds(await current())).toEqual(["a", "b", "c", "d"]);
    expect(await keys("inbox/")).toEqual([]);
  }, 180_000);

  it("a compaction whose every fragment fails still publishes a version, with no row changes, so the inbox drains", async () => {
    const only = await push(UNCASTABLE);
    const result = await compact();
    expect(result).toMatchObject({ status: "published", counts: { inserted: 0, updated: 0, deleted: 0, rowsTotal: 4 }, setAside: { fragments: 1 } });
    expect(result.setAside!.message).toBe(`1 fragment set aside to ${ROOT}quarantine/fragments/${result.version}/${only}: JSON transform error in line 1: Failed to cast value to numerical: "…"; fix and re-push their records.`);
    const m = await current();
    expect(m.source).toMatchObject({ fragments: [only], set_aside: [{ fragment: only }] });
    expect(await publishedIds(m)).toEqual(["a", "b", "c", "d"]);
    expect(await keys("inbox/")).toEqual([]);
    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
    const env = { TIDEMARK_STORE: pathToFileURL(join(dir, "store")).href, TEMPORAL_ADDRESS: services().temporal.address, TEMPORAL_NAMESPACE: services().temporal.namespace };
    const status = await runCli(["status", DATASET], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`            ${result.setAside!.message}\n`);
  }, 180_000);
});
