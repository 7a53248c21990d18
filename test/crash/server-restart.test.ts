import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestProgress, IngestResult } from "../../src/contracts";
import { freePort, isPortFree, waitFor } from "../../src/devstack/ports";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import { temporal } from "@temporalio/proto";
import { withDeadline } from "../support/deadline";
import { services } from "../support/services";
import { monthlySeries } from "../workflows/ingest-fixtures";
import { crashBed, type CrashBed } from "./bed";
import { expectCleanPublish } from "./checks";

const rows = monthlySeries(
  Array.from({ length: 800 }, (_, i) => `R${i}`),
  "2024-01",
  18,
  (s, m) => Number(s.slice(1)) + m / 4,
);

describe("SIGKILL of the Temporal server (persistent SQLite) while write runs [fs store, one real worker process]", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-temporal-db-"));
  const dbFilename = join(dir, "temporal.db");
  let port: number;
  let server: TemporalDevServer | undefined;
  let bed: CrashBed;

  const startServer = () => startTemporalDevServer({ binary: services().temporal.binary, port, uiPort: false, dbFilename });

  beforeAll(async () => {
    port = await freePort();
    server = await startServer();
    bed = await crashBed("restart", "fs", { address: server.address, namespace: server.namespace });
  }, 180_000);
  afterAll(async () => {
    await bed?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the same worker process reconnects to the restarted server and finishes the run, publishing exactly its source", { timeout: 300_000 }, async () => {
    bed.writeSource(rows);
    const { handle, worker } = await bed.startIngest({ kind: "hold", point: "write:start" });
    let exited = false;
    void worker.exited.then(() => (exited = true));
    const heldAt = await withDeadline(Promise.race([worker.held, worker.exited.then((e) => Promise.reject(new Error(`the worker ended: ${e.stderr}`)))]), 120_000, "the worker holding inside write");
    expect(heldAt).toBe("write:start");
    expect((await handle.query<IngestProgress>("progress")).step).toBe("write");

    const down = server!;
    server = undefined;
    down.process.child.kill("SIGKILL");
    await new Promise((resolve) => (down.process.child.exitCode !== null || down.process.child.signalCode !== null ? resolve(null) : down.process.child.once("exit", resolve)));
    await waitFor(() => isPortFree(port), { timeoutMs: 30_000, describe: "the killed server's port to be released" });
    server = await startServer();
    worker.release();
    console.log(`[crash] server killed while worker ${worker.pid} held write:start; restarted, hold released`);

    const result = handle.result() as Promise<IngestResult>;
    const end = await Promise.race([result.then((value) => ({ value })), worker.exited.then((exit) => ({ exit }))]);
    if ("exit" in end) throw new Error(`worker ${worker.pid} ended after the server restart (${end.exit.signal ?? `code ${end.exit.code}`}) instead of reconnecting: ${end.exit.stderr}`);
    expect(end.value.status).toBe("published");
    expect(exited).toBe(false);

    const events = (await handle.fetchHistory()).events ?? [];
    const EventType = temporal.api.enums.v1.EventType;
    const identities = new Set(
      events.flatMap((e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED ? [e.activityTaskStartedEventAttributes?.identity] : e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ? [e.workflowTaskStartedEventAttributes?.identity] : [],
      ),
    );
    expect([...identities].every((id) => id?.startsWith(`${worker.pid}@`)), [...identities].join(", ")).toBe(true);
    await expectCleanPublish(bed, [], rows, end.value);
  });
});
