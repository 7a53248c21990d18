import { Client, Connection } from "@temporalio/client";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { freePort, isPortFree } from "../../src/devstack/ports";
import { uniqueTaskQueue } from "../support/temporal";
import { eventually, startCli, tempStore } from "./helpers";

const work = tempStore("dev");
const cwd = process.cwd();
afterAll(() => {
  process.chdir(cwd);
  work.cleanup();
});

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

const definition = (uri: string) => ({
  id: "dev_rates",
  source: { uri, format: "csv" },
  schema: { columns: [{ name: "series_id", type: "string" }, { name: "obs_date", type: "date" }, { name: "value", type: "double" }], key: ["series_id", "obs_date"], partition_by: "obs_date" },
});

describe("tidemark dev", () => {
  it("runs server + worker with history in .tidemark/temporal.db until SIGINT, and keeps history across restarts", { timeout: 180_000 }, async () => {
    process.chdir(work.dir);
    const [port, uiPort] = [await freePort(), await freePort()];
    const taskQueue = uniqueTaskQueue("dev");
    const env = { TIDEMARK_STORE: undefined, TIDEMARK_DATASETS: undefined, TIDEMARK_TASK_QUEUE: taskQueue };
    const source = join(work.dir, "rates.csv");
    writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,1\nB,2025-02-01,2\n");

    const first = startCli(["dev", "--port", String(port), "--ui-port", String(uiPort)], env);
    const banner = await eventually(async () => (first.stdout().includes("Ctrl-C stops") ? first.stdout() : undefined), 120_000, "the dev banner");
    expect(banner).toContain(`Temporal UI    http://127.0.0.1:${uiPort}`);
    expect(banner).toContain(`Temporal       127.0.0.1:${port} (namespace default, history in .tidemark/temporal.db)`);
    expect(banner).toContain(`store          ${pathToFileURL(join(work.dir, "data")).href}`);
    expect(banner).toContain(`task queue     ${taskQueue} (worker running here)`);
    expect(banner).toContain(`ingest with    TEMPORAL_ADDRESS=127.0.0.1:${port} TIDEMARK_UI_URL=http://127.0.0.1:${uiPort} npx tidemark ingest`);
    expect(existsSync(join(work.dir, ".tidemark", "temporal.db"))).toBe(true);

    const result = await withClient(`127.0.0.1:${port}`, (client) =>
      client.workflow.execute("ingestDataset", {
        workflowId: "tidemark/ingest/dev_rates",
        taskQueue,
        args: [{ dataset: "dev_rates", definition: definition(pathToFileURL(source).href) }],
      }),
    ) as IngestResult;
    expect(result).toMatchObject({ status: "published", counts: { inserted: 2 } });
    expect(existsSync(join(work.dir, "data", "datasets", "dev_rates", "current", "manifest.json"))).toBe(true);

    process.emit("SIGINT" as never);
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain("stopped.");
    expect(await isPortFree(port)).toBe(true);

    const second = startCli(["dev", "--port", String(port), "--ui-port", String(uiPort), "--no-worker"], env);
    await eventually(async () => (second.stdout().includes("Ctrl-C stops") ? true : undefined), 120_000, "the second dev banner");
    expect(second.stdout()).toContain('(no worker: start one with "tidemark worker")');
    const runs = await withClient(`127.0.0.1:${port}`, async (client) => {
      const found: string[] = [];
      for await (const info of client.workflow.list({ query: "WorkflowId = 'tidemark/ingest/dev_rates'" })) found.push(info.runId);
      return found;
    });
    expect(runs).toEqual([result.runId]);
    process.emit("SIGTERM" as never);
    expect((await second.done).code).toBe(0);
  });

  it("refuses a port that is taken", async () => {
    const { createServer } = await import("node:net");
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await startCli(["dev", "--port", String(port)]).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Port ${port} for the Temporal server is in use`);
    } finally {
      server.close();
    }
  });
});
