import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkAcks } from "../../bench/intake/check";
import { runLoad, type LoadResult } from "../../bench/intake/load";
import { BENCH_TOKEN, benchSetup, startServe, type ServerProcess } from "../../bench/intake/procs";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue } from "../support/temporal";
import { tempDir, until } from "./bed";

const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

function loggedAcks(path: string): Map<string, string> {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
  return new Map(lines.map((l) => JSON.parse(l) as { id: string; fragment: string }).map((a) => [a.id, a.fragment]));
}

async function load(server: ServerProcess, logPath: string, records: number): Promise<LoadResult> {
  return runLoad({ url: await server.url, dataset: "events", token: BENCH_TOKEN, clients: 8, batch: 25, records, seconds: 120, logPath });
}

describe("tidemark serve under the load generator (compiled CLI processes, file:// store)", () => {
  it("puts every acknowledged record in the fragment its acknowledgement named, exactly once", { timeout: 180_000 }, async () => {
    const t = tempDir("serve-load");
    dirs.push(t.cleanup);
    const serve = startServe(benchSetup(t.dir), ["--no-compact"]);
    const logPath = join(t.dir, "acks.ndjson");
    try {
      const result = await load(serve, logPath, 4000);
      expect(await serve.stop()).toBe(0);
      expect(result.unacknowledged).toEqual([]);
      expect(result.acknowledged.size).toBe(4000);
      expect(loggedAcks(logPath)).toEqual(result.acknowledged);
      const check = await checkAcks(join(t.dir, "store"), "events", [logPath]);
      expect(check).toMatchObject({ acknowledged: 4000, stored: 4000, missing: 0, elsewhere: 0, duplicated: 0 });
      expect(check.fragments).toBe(new Set(result.acknowledged.values()).size);
    } finally {
      await serve.stop();
    }
  });

  it("two serve processes on one store: each acknowledged record is in its named fragment exactly once, and both servers wrote fragments", { timeout: 180_000 }, async () => {
    const t = tempDir("serve-load-two");
    dirs.push(t.cleanup);
    const first = startServe(benchSetup(t.dir), ["--no-compact"]);
    const second = startServe(benchSetup(t.dir), ["--no-compact"]);
    const logs = [join(t.dir, "acks-1.ndjson"), join(t.dir, "acks-2.ndjson")];
    try {
      const [one, two] = await Promise.all([load(first, logs[0], 3000), load(second, logs[1], 3000)]);
      expect(await Promise.all([first.stop(), second.stop()])).toEqual([0, 0]);
      expect([one.unacknowledged, two.unacknowledged]).toEqual([[], []]);
      expect([one.acknowledged.size, two.acknowledged.size]).toEqual([3000, 3000]);
      const fragmentsOne = new Set(one.acknowledged.values());
      const fragmentsTwo = new Set(two.acknowledged.values());
      expect([...fragmentsOne].filter((f) => fragmentsTwo.has(f))).toEqual([]);
      const check = await checkAcks(join(t.dir, "store"), "events", logs);
      expect(check).toMatchObject({ acknowledged: 6000, stored: 6000, missing: 0, elsewhere: 0, duplicated: 0 });
      expect(check.fragments).toBe(fragmentsOne.size + fragmentsTwo.size);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it("with a worker compacting: every acknowledged record is found exactly once in the current projection or an unconsumed fragment", { timeout: 180_000 }, async () => {
    const t = tempDir("serve-load-compact");
    dirs.push(t.cleanup);
    const dataset = `events_${Date.now().toString(36)}`;
    const yaml = readFileSync(join(__dirname, "..", "..", "bench", "intake", "events.yaml"), "utf8")
      .replace("id: events", `id: ${dataset}`)
      .replace("source: { push: {} }", 'source: { push: { compact_interval: "300ms" } }');
    const setup = benchSetup(t.dir, { id: dataset, yaml });
    const store = new FsObjectStore(setup.storeDir);
    const taskQueue = uniqueTaskQueue("serve-load");
    const client = await testClient();
    const running = await startTestWorker({ store, datasetsDir: setup.env.TIDEMARK_DATASETS!, taskQueue, client });
    let stopped: Promise<void> | undefined;
    const stopWorker = () => (stopped ??= running.stop());
    const { temporal } = services();
    const serve = startServe({ ...setup, env: { ...setup.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue } });
    const logPath = join(t.dir, "acks.ndjson");
    try {
      const url = await serve.url;
      const first = await runLoad({ url, dataset, token: BENCH_TOKEN, clients: 4, batch: 25, records: 2000, seconds: 60, logPath });
      const consumed = async () => {
        const pointer = await store.get(`datasets/${dataset}/current/manifest.json`).catch(() => null);
        return pointer !== null;
      };
      await until("a version is published", consumed, 60_000);
      const second = await runLoad({ url, dataset, token: BENCH_TOKEN, clients: 4, batch: 25, records: 2000, seconds: 60, logPath });
      expect(await serve.stop()).toBe(0);
      await stopWorker();
      expect([first.unacknowledged, second.unacknowledged]).toEqual([[], []]);
      const check = await checkAcks(setup.storeDir, dataset, [logPath]);
      expect(check).toMatchObject({ acknowledged: 4000, stored: 4000, missing: 0, elsewhere: 0, duplicated: 0 });
      expect(check.versions).toBeGreaterThan(0);
      expect(check.published).toBeGreaterThan(0);
      expect(check.published + check.inInbox).toBe(4000);
    } finally {
      await serve.stop();
      await stopWorker();
      await client.connection.close();
    }
  });
});
