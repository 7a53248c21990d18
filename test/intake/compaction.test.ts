import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import type { VerifyResult } from "../../src/maintenance";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { openDuck, rows } from "../support/duck";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { CLICKS_YAML, click, ndjson, ndjsonHeaders, startBed, TOKENS, type IntakeBed } from "./bed";

/** Its own dataset id: workflow ids are per dataset on the shared dev server. */
const DATASET = "clicks_compaction";
const ROOT = `datasets/${DATASET}/`;
const YAML = `${CLICKS_YAML.replace("id: clicks", `id: ${DATASET}`).replace("source: { push: {} }", 'source: { push: { compact_interval: "300ms" } }')}max_parts: 3\n`;

let store: FsObjectStore;
let dir: string;
let worker: RunningWorker;
let client: Client;
let bed: IntakeBed;
let taskQueue: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidemark-compaction-"));
  store = new FsObjectStore(join(dir, "store"));
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  writeFileSync(join(datasetsDir, `${DATASET}.yaml`), YAML);
  taskQueue = uniqueTaskQueue("compaction");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
  bed = await startBed(store, {}, { client, taskQueue, compact: true, definitionsYaml: YAML });
});
afterAll(async () => {
  await bed?.close();
  await worker?.stop();
  await client?.connection.close();
});

async function current(s: ObjectStore): Promise<VersionManifest | null> {
  const pointer = await s.get(`${ROOT}current/manifest.json`).catch(() => null);
  if (!pointer) return null;
  return parseVersionManifest((await s.get(ROOT + parsePointer(pointer.body).manifest)).body);
}

async function inbox(s: ObjectStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of s.list(`${ROOT}inbox/`)) ids.push(o.key.slice(`${ROOT}inbox/`.length));
  return ids.sort();
}

/** Every file of the current version's projection `latest` (manifest format /1 or /2). */
function projectionFiles(m: VersionManifest): string[] {
  return Object.values(m.projections.latest).flatMap((e) => ((e as { files?: { path: string }[] }).files ?? [e as { path: string }]).map((f) => join(dir, "store", ROOT, f.path)));
}

/** id → n of the current version, read back with DuckDB. */
async function published(s: ObjectStore): Promise<Map<string, number>> {
  const m = await current(s);
  if (!m) return new Map();
  const files = projectionFiles(m);
  const duck = await openDuck();
  try {
    const got = await rows(duck.conn, `SELECT id, n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}]) ORDER BY id`);
    return new Map(got.map((r) => [String(r.id), Number(r.n)]));
  } finally {
    duck.close();
  }
}

/** Waits (bounded) until the published rows equal `want` and the inbox is empty. */
async function settle(want: Map<string, number>, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  let seen: Map<string, number> = new Map();
  while (Date.now() < deadline) {
    seen = await published(store);
    if (JSON.stringify([...seen]) === JSON.stringify([...want]) && (await inbox(store)).length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not compacted within 90 s; published ${seen.size} of ${want.size} keys, inbox ${(await inbox(store)).length}`);
}

async function push(records: object[]): Promise<void> {
  const res = await bed.post(`/v1/datasets/${DATASET}/records`, ndjson(records), ndjsonHeaders(TOKENS.all));
  expect(res.status).toBe(202);
}

describe("compaction of pushed records into versions [file store, real dev server, serve through real sockets]", () => {
  it("publishes what was acknowledged, once per key with its latest value, and deletes the consumed fragments", async () => {
    const model = new Map<string, number>();
    const sent: object[][] = [];
    for (let r = 0; r < 6; r++) {
      const batch = Array.from({ length: 50 }, (_, i) => click(`k${String(r * 40 + i).padStart(4, "0")}`, r * 1000 + i));
      sent.push(batch);
      await push(batch);
      for (const rec of batch) model.set(String((rec as { id: string }).id), Number((rec as { n: number }).n));
    }
    await push(sent[2]);
    for (const rec of sent[2]) model.set(String((rec as { id: string }).id), Number((rec as { n: number }).n));
    await settle(new Map([...model].sort(([a], [b]) => a.localeCompare(b))), "first burst");

    const versions: VersionManifest[] = [];
    for (let m = await current(store); m; m = m.parent_version ? parseVersionManifest((await store.get(`${ROOT}events/${m.parent_version}/manifest.json`)).body) : null) versions.push(m);
    const consumed = versions.flatMap((v) => v.source.fragments ?? []);
    expect(consumed.length).toBeGreaterThanOrEqual(1);
    expect(new Set(consumed).size).toBe(consumed.length);
    expect(versions.every((v) => v.source.uri === `push:${DATASET}`)).toBe(true);
    const files = versions.map((v) => Object.values(v.projections.latest).map((m) => monthFiles(m).length));
    expect(files.flat().every((n) => n <= 3), JSON.stringify(files)).toBe(true);

    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });

  it("never applies a fragment a published version lists again: a consumed fragment left behind is deleted, not applied", async () => {
    const before = await current(store);
    const consumedId = before!.source.fragments![0];
    const stale = ndjson([{ ...click("k0000", -1), at: "2026-11-29T10:00:00.000000Z", price: "1.5" }]);
    await store.put(`${ROOT}inbox/${consumedId}`, stale, { kind: "create" });
    const model = await published(store);
    expect(model.get("k0000")).not.toBe(-1);
    await push([click("z0001", 7)]);
    model.set("z0001", 7);
    await settle(new Map([...model].sort(([a], [b]) => a.localeCompare(b))), "after the leftover");
    expect((await published(store)).get("k0000")).not.toBe(-1);
  });
  it("publishes JSON numbers a double cannot hold with the digits that were sent (NDJSON and JSON array bodies)", async () => {
    const sent = [
      { id: "long1", n: "9007199254740993", price: "0.123456789012345678", note: "123456789012345678901234567890" },
      { id: "long2", n: "-9223372036854775808", price: "12345678901234567.89", note: "0.1000000000000000000001" },
      { id: "long3", n: "1234567890123456789", price: "-98765432109876543210.5", note: "1.5" },
    ];
    const line = (r: (typeof sent)[number]) => `{"id":"${r.id}","at":"2026-11-29T10:00:00Z","n":${r.n},"price":${r.price},"ok":true,"note":${r.note}}`;
    const nd = await bed.post(`/v1/datasets/${DATASET}/records`, `${line(sent[0])}\n${line(sent[1])}\n`, ndjsonHeaders(TOKENS.all));
    expect(nd.status, JSON.stringify(nd.body)).toBe(202);
    const arr = await bed.post(`/v1/datasets/${DATASET}/records`, `[${line(sent[2])}]`, ndjsonHeaders(TOKENS.all, { "content-type": "application/json" }));
    expect(arr.status, JSON.stringify(arr.body)).toBe(202);
    const deadline = Date.now() + 90_000;
    let got: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      const m = await current(store);
      const duck = await openDuck();
      try {
        const files = m ? projectionFiles(m).map((f) => `'${f}'`).join(", ") : "";
        got = files ? await rows(duck.conn, `SELECT id, CAST(n AS VARCHAR) AS n, CAST(price AS VARCHAR) AS price, note FROM read_parquet([${files}]) WHERE id LIKE 'long%' ORDER BY id`) : [];
      } finally {
        duck.close();
      }
      if (got.length === sent.length && (await inbox(store)).length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(got).toEqual(sent.map((r) => ({ id: r.id, n: r.n, price: r.price, note: r.note })));
  });
});
