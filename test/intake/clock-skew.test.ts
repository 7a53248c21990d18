import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { S3ObjectStore } from "../../src/store/s3";
import { openDuck, rows } from "../support/duck";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { CLICKS_YAML, click, ndjson, ndjsonHeaders, request, startBed, tempDir, TOKEN_SPEC, TOKENS, type IntakeBed } from "./bed";

const ROOT = join(__dirname, "..", "..");
const DATASET = "clicks_skew";
const YAML = CLICKS_YAML.replace("id: clicks", `id: ${DATASET}`);
const SKEW_MS = -5000;

let dir: string;
let cleanup: () => void;
let store: S3ObjectStore;
const PREFIX = `intake-skew-${randomBytes(4).toString("hex")}`;
let worker: RunningWorker;
let client: Client;
let taskQueue: string;
let fast: IntakeBed;
let slow: { proc: ChildProcess; url: string; stderr: () => string };

/** A real `tidemark serve` process whose clock is `skewMs` off, on the same store. */
async function startSkewedServe(datasetsDir: string, skewMs: number): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const { s3 } = services();
  const proc = spawn(process.execPath, ["--require", join(ROOT, "test", "support", "skew-clock.cjs"), join(ROOT, "bin", "tidemark.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--no-compact"], {
    env: {
      ...process.env, TIDEMARK_STORE: `s3://${s3.bucket}/${PREFIX}`, TIDEMARK_DATASETS: datasetsDir, TIDEMARK_INGEST_TOKENS: TOKEN_SPEC, TIDEMARK_TEST_CLOCK_SKEW_MS: String(skewMs),
      AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (c: Buffer) => void (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${out} ${err}`)));
  });
  return { proc, url, stderr: () => err };
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir("skew"));
  store = new S3ObjectStore({ client: makeS3Client(), bucket: services().s3.bucket, prefix: PREFIX });
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  writeFileSync(join(datasetsDir, `${DATASET}.yaml`), YAML);
  taskQueue = uniqueTaskQueue("skew");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
  fast = await startBed(store, {}, { client, taskQueue, compact: false, definitionsYaml: YAML });
  slow = await startSkewedServe(datasetsDir, SKEW_MS);
}, 60_000);
afterAll(async () => {
  if (slow?.proc.exitCode === null) {
    const exited = new Promise((r) => slow.proc.once("exit", r));
    slow.proc.kill("SIGTERM");
    await exited;
  }
  await fast?.close();
  await worker?.stop();
  await client?.connection.close();
  cleanup?.();
});

/** n of each id in the current version, read back with DuckDB. */
async function published(): Promise<Map<string, number>> {
  const root = `datasets/${DATASET}/`;
  const m = parseVersionManifest((await store.get(root + parsePointer((await store.get(`${root}current/manifest.json`)).body).manifest)).body);
  const files: string[] = [];
  for (const e of Object.values(m.projections.latest)) {
    for (const f of (e as { files?: { path: string }[] }).files ?? [e as { path: string }]) {
      const local = join(dir, `part-${files.length}.parquet`);
      writeFileSync(local, (await store.get(root + f.path)).body);
      files.push(local);
    }
  }
  const duck = await openDuck();
  try {
    const got = await rows(duck.conn, `SELECT id, n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}]) ORDER BY id`);
    return new Map(got.map((r) => [String(r.id), Number(r.n)]));
  } finally {
    duck.close();
  }
}

describe("two serve processes on one S3 store whose clocks disagree [real serve process, MinIO, real dev server]", () => {
  it("a record acknowledged by one server and then updated through a server whose clock is behind publishes the update", { timeout: 120_000 }, async () => {
    const path = `/v1/datasets/${DATASET}/records`;
    const first = await fast.post(path, ndjson([click("k1", 1), click("k2", 1)]), ndjsonHeaders(TOKENS.all));
    expect(first.status).toBe(202);
    const second = await request(slow.url, "POST", path, ndjson([click("k1", 2)]), ndjsonHeaders(TOKENS.all));
    expect(second.status).toBe(202);
    const third = await fast.post(path, ndjson([click("k2", 3)]), ndjsonHeaders(TOKENS.all));
    expect(third.status).toBe(202);
    expect(slow.stderr()).toContain(`clock skewed by ${SKEW_MS} ms`);
    const [a, b, c] = [first, second, third].map((r) => String(r.body.fragment));
    expect([a, b, c], "fragment ids in the order the servers acknowledged them").toEqual([a, b, c].slice().sort());

    const result = (await client.workflow.execute("ingestDataset", { workflowId: `tidemark/ingest/${DATASET}`, taskQueue, args: [{ dataset: DATASET }] })) as { status: string };
    expect(result.status).toBe("published");
    expect([...(await published())]).toEqual([["k1", 2], ["k2", 3]]);
  });
});
