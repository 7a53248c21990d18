import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestWorkflowId } from "../../src/one-writer";
import { RUN_OUTCOME_PATCH } from "../../workflows/ingest";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "./ingest-fixtures";

const HISTORIES = join(__dirname, "..", "fixtures", "histories");

/**
 * Determinism: histories recorded from real runs (fresh ones, and ones committed under
 * test/fixtures/histories by earlier versions of the code) must replay on the current workflow code.
 * Set TIDEMARK_RECORD_HISTORIES=1 to (re)write the committed fixtures from this run; the `v1-*` fixtures
 * were recorded before RUN_OUTCOME_PATCH and must keep replaying without its memo and outcome commands.
 */
describe("workflow replay on recorded histories", () => {
  const taskQueue = uniqueTaskQueue("replay");
  const dataset = `replay_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  let client: Client;
  let worker: RunningWorker;
  const recorded: { name: string; workflowId: string; history: Awaited<ReturnType<ReturnType<Client["workflow"]["getHandle"]>["fetchHistory"]>> }[] = [];
  const replay = (workflowId: string, history: unknown) =>
    Worker.runReplayHistory({ workflowBundle: { codePath: services().workflowBundlePath } }, history as never, workflowId);

  beforeAll(async () => {
    client = await testClient();
    worker = await startTestWorker({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-replay-"))), datasetsDir: ws.datasetsDir, taskQueue, client });
    const run = async (name: string, input: Record<string, unknown> = {}) => {
      const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, ...input }] });
      await handle.result();
      recorded.push({ name, workflowId: handle.workflowId, history: await handle.fetchHistory() });
    };
    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 6, (_s, m) => m));
    await run("ingest-first-version");
    ws.writeSource(monthlySeries(["A"], "2024-01", 7, (_s, m) => m * 2));
    await run("ingest-revision-snapshot");
    await run("ingest-unchanged");
    await run("ingest-dry-run", { dryRun: true });
    if (process.env.TIDEMARK_RECORD_HISTORIES === "1") {
      for (const { name, workflowId, history } of recorded) {
        const bytes = temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish();
        writeFileSync(join(HISTORIES, `${name}.json`), `${JSON.stringify({ workflowId, historyProtobufBase64: Buffer.from(bytes).toString("base64") }, null, 1)}\n`);
      }
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it("replays the histories of this run's ingests (first version, revision, unchanged, dry run)", async () => {
    expect(recorded).toHaveLength(4);
    for (const { workflowId, history } of recorded) await expect(replay(workflowId, history)).resolves.toBeUndefined();
  });

  it("replays every committed history fixture", async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(8);
    const patchedFiles: string[] = [];
    for (const file of files) {
      const { workflowId, historyProtobufBase64 } = JSON.parse(readFileSync(join(HISTORIES, file), "utf8"));
      const bytes = Buffer.from(historyProtobufBase64, "base64");
      if (bytes.includes(RUN_OUTCOME_PATCH)) patchedFiles.push(file);
      const history = temporal.api.history.v1.History.decode(bytes);
      await expect(replay(workflowId, history), file).resolves.toBeUndefined();
    }
    expect(patchedFiles.filter((f) => f.startsWith("v1-"))).toEqual([]);
    expect(patchedFiles.length).toBeGreaterThanOrEqual(4);
  });
});
