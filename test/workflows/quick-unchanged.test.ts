import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startHttpServer } from "../support/http";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, workspace } from "./ingest-fixtures";

const EventType = temporal.api.enums.v1.EventType;

/** A run's history: its event types (`EVENT_TYPE_…`) and the activity types of its local-activity markers. */
async function historyOf(client: Client, dataset: string, runId: string): Promise<{ types: string[]; localActivities: string[] }> {
  const history = await client.workflow.getHandle(ingestWorkflowId(dataset), runId).fetchHistory();
  const events = history.events ?? [];
  const types = events.map((e) => (typeof e.eventType === "number" ? EventType[e.eventType] : String(e.eventType)));
  const localActivities = events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === "core_local_activity")
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data as Uint8Array | string | undefined;
      const text = typeof data === "string" ? Buffer.from(data, "base64").toString() : Buffer.from(data ?? []).toString();
      return (JSON.parse(text) as { activity_type: string }).activity_type;
    });
  return { types, localActivities };
}

/** The first two local activities run at once (their markers in completion order); the quick check comes after both. */
const inOrder = (names: string[]): string[] => [...names.slice(0, 2).sort(), ...names.slice(2)];

const SCHEDULED = "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED";
const WFT_COMPLETED = "EVENT_TYPE_WORKFLOW_TASK_COMPLETED";

describe("an unchanged source ends the run in its first workflow task (quick check before prepare)", () => {
  const dataset = `quick_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const taskQueue = uniqueTaskQueue("quick-unchanged");
  const served = { body: "", etag: '"a"' };
  const answers: number[] = [];
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let client: Client;
  let worker: RunningWorker;

  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const status = req.headers["if-none-match"] === served.etag ? 304 : 200;
      answers.push(status);
      res.setHeader("etag", served.etag);
      res.statusCode = status;
      res.end(status === 304 ? undefined : served.body);
    });
    client = await testClient();
    worker = await startTestWorker({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-quick-"))), datasetsDir: ws.datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await server?.close();
  });

  const ingest = (input: Record<string, unknown> = {}) =>
    client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset, ...input }] }) as Promise<IngestResult>;

  it("file:// — same content again: unchanged with no activity scheduled", async () => {
    ws.writeSource(monthlySeries(["A", "B"], "2024-01", 6, (_s, m) => m));
    const first = await ingest();
    expect(first.status).toBe("published");
    const again = await ingest();
    expect(again).toMatchObject({ status: "unchanged", counts: { rowsTotal: 12, unchanged: 12 } });
    const { types, localActivities } = await historyOf(client, dataset, again.runId);
    expect(types).toContain("EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED");
    expect(types.filter((t) => t === SCHEDULED)).toEqual([]);
    expect(types.filter((t) => t === WFT_COMPLETED)).toHaveLength(1);
    expect(inOrder(localActivities)).toEqual(["readBase", "resolveDefinition", "sourceUnchanged"]);
  });

  it("http:// — a version published from the URI, then a 304 to its ETag: unchanged with no activity and no body sent", async () => {
    ws.writeSource(monthlySeries(["A", "B", "C"], "2024-01", 6, (_s, m) => m + 1));
    served.body = readFileSync(ws.sourcePath, "utf8");
    const uri = `${server.url}/series.csv`;
    const first = await ingest({ source: uri });
    expect(first.status).toBe("published");
    const before = answers.length;
    const again = await ingest({ source: uri });
    expect(again).toMatchObject({ status: "unchanged", counts: { rowsTotal: 18 } });
    expect(answers.slice(before)).toEqual([304]);
    const { types, localActivities } = await historyOf(client, dataset, again.runId);
    expect(types.filter((t) => t === SCHEDULED)).toEqual([]);
    expect(inOrder(localActivities)).toEqual(["readBase", "resolveDefinition", "sourceUnchanged"]);
  });

  it("http:// — a new ETag: the quick check gives way to prepare, which publishes the new content", async () => {
    ws.writeSource(monthlySeries(["A", "B", "C"], "2024-01", 7, (_s, m) => m + 1));
    served.body = readFileSync(ws.sourcePath, "utf8");
    served.etag = '"b"';
    const before = answers.length;
    const run = await ingest({ source: `${server.url}/series.csv` });
    expect(run).toMatchObject({ status: "published", counts: { inserted: 3, rowsTotal: 21 } });
    expect(answers.slice(before)).toEqual([200, 200]);
    const { types, localActivities } = await historyOf(client, dataset, run.runId);
    expect(inOrder(localActivities.slice(0, 3))).toEqual(["readBase", "resolveDefinition", "sourceUnchanged"]);
    expect(types.filter((t) => t === SCHEDULED).length).toBeGreaterThanOrEqual(3);
  });
});
