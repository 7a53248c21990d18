import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { Runtime } from "@temporalio/worker";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { startObservability, type Observability } from "../../src/observability/runtime";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";

const SECRET = "fake-secret-value-123";
const SOURCE_WITH_USERINFO = "https://srcuser:src-pass-456@data.example.com/series.csv";
const HOOK_WITH_USERINFO = "https://hookuser:hook-pass-789@hooks.example.com/notify";
const FORBIDDEN = [SECRET, "src-pass-456", "hook-pass-789", "srcuser:", "hookuser:", "Bearer tok-abc"];

interface Line {
  ts: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("worker logs", () => {
  const dataset = `logs_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const taskQueue = uniqueTaskQueue("logs");
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-logs-")));
  const raw: string[] = [];
  const savedSecret = process.env.AWS_SECRET_ACCESS_KEY;
  let failBeforeCas = false;
  let observability: Observability;
  let client: Client;
  let worker: RunningWorker;

  const lines = (): Line[] => raw.map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    process.env.AWS_SECRET_ACCESS_KEY = SECRET;
    observability = await startObservability({ logFormat: "json", logLevel: "INFO", write: (line) => raw.push(line) });
    expect(observability.runtimeInstalled).toBe(true);
    client = await testClient();
    worker = await startTestWorker({
      store, datasetsDir: ws.datasetsDir, taskQueue, client,
      faults: (point) => {
        if (failBeforeCas && point === "publish:before-cas") {
          throw ApplicationFailure.nonRetryable(`upload to ${SOURCE_WITH_USERINFO} refused with key ${process.env.AWS_SECRET_ACCESS_KEY} (Authorization: Bearer tok-abc)`, "InjectedFault");
        }
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await observability?.close();
    if (savedSecret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = savedSecret;
  });

  const ingest = () => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;

  it("writes one JSON object per line, with dataset, version and run ids on the activity lines", async () => {
    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 3, (_s, m) => m));
    const handle = client.workflow.getHandle(ingestWorkflowId(dataset));
    const result = await ingest();
    expect(result.status).toBe("published");
    const runId = (await handle.describe()).runId;
    const publish = await until(() => lines().find((l) => l.msg === "publish completed" && l.runId === runId), "the publish line");
    expect(publish).toMatchObject({ level: "info", dataset, version: result.version, workflowId: ingestWorkflowId(dataset), runId, activityType: "publish", taskQueue });
    expect(Number.isNaN(Date.parse(publish.ts))).toBe(false);
    for (const step of ["prepare", "write"]) {
      const line = lines().find((l) => l.msg === `${step} completed` && l.runId === runId);
      expect(line, step).toMatchObject({ dataset, version: result.version, workflowId: ingestWorkflowId(dataset), activityType: step });
    }
    for (const line of raw) {
      expect(line).not.toContain("\n");
      expect(Object.keys(JSON.parse(line) as object).slice(0, 3)).toEqual(["ts", "level", "msg"]);
    }
    expect(raw.some((l) => /modules by path/.test(l))).toBe(false);
  });

  it("never writes credentials: not in SDK failure lines, workflow lines or anything logged through the runtime", async () => {
    ws.writeSource(monthlySeries(["A", "B", "C"], "2024-01", 3, (_s, m) => m + 1));
    failBeforeCas = true;
    const failed = await ingest().catch((err: unknown) => err);
    failBeforeCas = false;
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = await until(() => lines().find((l) => l.msg === "Activity failed" && l.activityType === "publish"), "the failed publish line");
    expect(activityFailure.level).toBe("warn");
    expect(JSON.stringify(activityFailure)).toContain("[redacted]");
    const compensated = await until(() => lines().find((l) => l.msg === "compensations ran"), "the workflow's compensation line");
    expect(compensated).toMatchObject({ dataset, workflowId: ingestWorkflowId(dataset), workflowType: "ingestDataset" });

    Runtime.instance().logger.warn(`source ${SOURCE_WITH_USERINFO} unreachable`, { webhook: HOOK_WITH_USERINFO, env: { AWS_SECRET_ACCESS_KEY: SECRET }, header: "Authorization: Bearer tok-abc" });
    const direct = await until(() => lines().find((l) => l.msg.startsWith("source https://")), "the direct line");
    expect(direct.msg).toBe("source https://[redacted]@data.example.com/series.csv unreachable");
    expect(direct.webhook).toBe("https://[redacted]@hooks.example.com/notify");

    const all = raw.join("\n");
    for (const secret of FORBIDDEN) expect(all, secret).not.toContain(secret);
  });
});
