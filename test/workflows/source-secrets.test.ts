import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootFailure } from "../../src/cli/failure";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startHttpServer } from "../support/http";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { monthlySeries, toCsv, workspace } from "./ingest-fixtures";

const USER = "tm_secret_user";
const PASS = `pw-${Date.now().toString(36)}-never-in-history`;

/** Every string and every byte field (payloads, decoded as UTF-8) of a history, joined. */
function readableText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (Array.isArray(value)) return value.map(readableText).join("\n");
  if (value && typeof value === "object") return Object.values(value).map(readableText).join("\n");
  return "";
}

describe("credentials in a source URI as ${NAME} references", () => {
  const taskQueue = uniqueTaskQueue("secrets");
  const dataset = `secrets_${Date.now().toString(36)}`;
  const unset = `${dataset}_unset`;
  const ws = workspace(dataset, "upsert");
  let client: Client;
  let worker: RunningWorker;
  let source: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    process.env.TM_TEST_SRC_USER = USER;
    process.env.TM_TEST_SRC_PASS = PASS;
    source = await startHttpServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`) {
        res.statusCode = 401;
        res.end();
        return;
      }
      res.end(toCsv(monthlySeries(["A", "B"], "2025-01", 2, (s, m) => m + s.charCodeAt(0))));
    });
    const uri = source.url.replace("http://", "http://${TM_TEST_SRC_USER}:${TM_TEST_SRC_PASS}@");
    const definition = (id: string, ref: string) =>
      [`id: ${id}`, `source: { uri: "${ref}/series.csv", format: csv }`, "schema:",
        "  columns: [{ name: series_id, type: string }, { name: obs_date, type: date }, { name: value, type: double }]",
        "  key: [series_id, obs_date]", "  partition_by: obs_date", ""].join("\n");
    writeFileSync(join(ws.datasetsDir, `${dataset}.yaml`), definition(dataset, uri));
    writeFileSync(join(ws.datasetsDir, `${unset}.yaml`), definition(unset, source.url.replace("http://", "http://${TM_TEST_NOT_SET}@")));
    client = await testClient();
    worker = await startTestWorker({ store: new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-secrets-"))), datasetsDir: ws.datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await source?.close();
  });

  it("are expanded by the fetch activity and never appear in the workflow history", async () => {
    const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] });
    const result = (await handle.result()) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 4, rowsTotal: 4 } });
    const history = readableText(await handle.fetchHistory());
    expect(history).toContain("TM_TEST_SRC_PASS");
    expect(history).not.toContain(PASS);
    expect(history).not.toContain(Buffer.from(PASS).toString("base64"));
  });

  it("fail the run at once, naming the variable, when it is not set on the worker", async () => {
    const failure = await client.workflow
      .execute("ingestDataset", { workflowId: ingestWorkflowId(unset), taskQueue, args: [{ dataset: unset }] })
      .then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const root = rootFailure(failure);
    expect(root).toMatchObject({ type: "MissingEnvReferenceError" });
    expect(root.message).toContain("references ${TM_TEST_NOT_SET}, which is not set in the worker's environment; set TM_TEST_NOT_SET where the worker runs.");
  });
});
