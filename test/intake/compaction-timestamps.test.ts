import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { openDuck, rows } from "../support/duck";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { ndjson, ndjsonHeaders, startBed, TOKENS, type IntakeBed } from "./bed";

/**
 * A pushed timestamp whose offset carries it past 9999-12-31 (in a column that is not the partition)
 * is acknowledged and then published by compaction, as a file source publishes it.
 */
const DATASET = "push_ts_e2e";
const ROOT = `datasets/${DATASET}/`;
const YAML = `id: ${DATASET}\nsource: { push: { compact_interval: "300ms" } }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: at, type: timestamp }\n    - { name: until, type: timestamp }\n  key: [id]\n  partition_by: at\n`;
let store: FsObjectStore;
let dir: string;
let worker: RunningWorker;
let client: Client;
let bed: IntakeBed;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidemark-pts-"));
  store = new FsObjectStore(join(dir, "store"));
  mkdirSync(join(dir, "datasets"));
  writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), YAML);
  const taskQueue = uniqueTaskQueue("pts");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: join(dir, "datasets"), taskQueue, client });
  bed = await startBed(store, {}, { client, taskQueue, compact: true, definitionsYaml: YAML });
});
afterAll(async () => {
  await bed?.close();
  await worker?.stop();
  await client?.connection.close();
});

it("a pushed timestamp past 9999-12-31 through its offset is compacted and published (the old fragment text failed every compaction)", async () => {
  const res = await bed.post(`/v1/datasets/${DATASET}/records`, ndjson([{ id: "a", at: "2026-11-29T10:00:00Z", until: "9999-12-31T23:00:00-02:00" }]), ndjsonHeaders(TOKENS.all));
  expect(res.status).toBe(202);
  const deadline = Date.now() + 45_000;
  let got: unknown = null;
  while (Date.now() < deadline) {
    const p = await store.get(`${ROOT}current/manifest.json`).catch(() => null);
    if (p) {
      const m = parseVersionManifest((await store.get(ROOT + parsePointer(p.body).manifest)).body);
      const files = Object.values(m.projections.latest).flatMap(monthFiles).map((f) => join(dir, "store", ROOT, f.path));
      const duck = await openDuck();
      try {
        got = await rows(duck.conn, `SELECT id, epoch_us("until")::VARCHAR AS u FROM read_parquet([${files.map((f) => `'${f}'`).join(",")}])`);
      } finally {
        duck.close();
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(got).toEqual([{ id: "a", u: "253402304400000000" }]);
}, 90_000);
