import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { runCli } from "../cli/helpers";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue } from "../support/temporal";
import { CLICKS_YAML, TOKENS, click, ndjson, ndjsonHeaders, startBed, tempDir, until } from "./bed";

const t = tempDir("status");
afterAll(() => t.cleanup());

describe("tidemark status on a push dataset", () => {
  it("shows the inbox backlog: fragments, bytes and the oldest fragment's age", async () => {
    const store = new FsObjectStore(t.dir);
    const bed = await startBed(store, { groupDelayMs: 1 });
    const sizes: number[] = [];
    try {
      for (const batch of [["a", "b"], ["c"]]) {
        const res = await bed.post("/v1/datasets/clicks/records", ndjson(batch.map((id) => click(id))), ndjsonHeaders(TOKENS.clicks));
        expect(res.status).toBe(202);
        sizes.push((await store.head(`datasets/clicks/inbox/${res.body.fragment as string}`)).size);
      }
    } finally {
      await bed.close();
    }
    const env = { TIDEMARK_STORE: pathToFileURL(t.dir).href, TEMPORAL_ADDRESS: services().temporal.address, TEMPORAL_NAMESPACE: services().temporal.namespace };
    const json = await runCli(["status", "clicks", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as { current: unknown; inbox: { fragments: number; bytes: number; oldest: string; oldestAgeSeconds: number } };
    expect(status.current).toBeNull();
    expect(status.inbox).toMatchObject({ fragments: 2, bytes: sizes[0] + sizes[1] });
    expect(status.inbox.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    const text = await runCli(["status", "clicks"], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`  inbox     2 fragments, ${(sizes[0] + sizes[1]).toLocaleString("en-US")} bytes waiting for compaction; oldest from ${status.inbox.oldest}`);
  });
});

describe("tidemark status after a compaction that continued as new", () => {
  it("shows what that run published and its version, not only that it continued as new", async () => {
    const dataset = `clicks_can_${Date.now().toString(36)}`;
    const yaml = CLICKS_YAML.replace("id: clicks", `id: ${dataset}`);
    const root = join(t.dir, dataset);
    const store = new FsObjectStore(join(root, "store"));
    mkdirSync(join(root, "datasets"), { recursive: true });
    writeFileSync(join(root, "datasets", `${dataset}.yaml`), yaml);
    const client = await testClient();
    const taskQueue = uniqueTaskQueue("status-can");
    const worker = await startTestWorker({ store, datasetsDir: join(root, "datasets"), taskQueue, client });
    const bed = await startBed(store, {}, { client, taskQueue, compact: false, definitionsYaml: yaml });
    try {
      const res = await bed.post(`/v1/datasets/${dataset}/records`, ndjson([click("a"), click("b")]), ndjsonHeaders(TOKENS.all));
      expect(res.status).toBe(202);
      const first = await client.workflow.signalWithStart("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }], signal: "compact", signalArgs: [] });
      const last = (await client.workflow.getHandle(ingestWorkflowId(dataset)).result()) as IngestResult;
      expect(last.status).toBe("unchanged");
      const published = last.parentVersion!;
      const env = { TIDEMARK_STORE: pathToFileURL(join(root, "store")).href, TEMPORAL_ADDRESS: services().temporal.address, TEMPORAL_NAMESPACE: services().temporal.namespace };
      type Run = { runId: string; status: string; version: string | null; outcome: string; published: boolean };
      let runs: Run[] = [];
      await until("both runs in visibility, the first one closed", async () => {
        const json = await runCli(["status", dataset, "--json"], env);
        expect(json.code, json.stderr).toBe(0);
        runs = (JSON.parse(json.stdout) as { runs: Run[] }).runs;
        return runs.length === 2 && runs.every((r) => r.status !== "RUNNING");
      }, 30_000);
      const can = runs.find((r) => r.runId === first.signaledRunId)!;
      expect(can).toMatchObject({ status: "CONTINUED_AS_NEW", version: published, published: true, outcome: "published (+2 ~0 -0, 2 rows); continued as new" });
      expect(runs.find((r) => r.runId !== first.signaledRunId)).toMatchObject({ status: "COMPLETED", published: false, outcome: "source unchanged" });
      const text = await runCli(["status", dataset], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`CONTINUED_AS_NEW +direct +${published} +published \\(\\+2 ~0 -0, 2 rows\\); continued as new`));
    } finally {
      await bed.close();
      await worker.stop();
      await client.connection.close();
    }
  });
});
