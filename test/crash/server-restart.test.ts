import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestProgress, IngestResult } from "../../src/contracts";
import { freePort } from "../../src/devstack/ports";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import type { CrashWorker } from "../support/crash-workers";
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

describe("SIGKILL of the Temporal server (persistent SQLite) in the middle of an ingest", () => {
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

  it("the run resumes on the restarted server and publishes exactly its source", { timeout: 300_000 }, async () => {
    bed.writeSource(rows);
    const { handle, worker } = await bed.startIngest({ kind: "hold", point: "consolidate:start", ms: 4000 });
    let progress: IngestProgress | undefined;
    for (let i = 0; i < 1800 && progress?.step !== "consolidate"; i++) {
      progress = await handle.query<IngestProgress>("progress");
      if (progress.step !== "consolidate") await sleep(100);
    }
    expect(progress?.step).toBe("consolidate");
    const down = server!;
    server = undefined;
    down.process.child.kill("SIGKILL");
    await new Promise((resolve) => (down.process.child.exitCode !== null || down.process.child.signalCode !== null ? resolve(null) : down.process.child.once("exit", resolve)));
    await sleep(2000);
    server = await startServer();
    let current: CrashWorker = worker;
    const result = handle.result() as Promise<IngestResult>;
    for (;;) {
      const next = await Promise.race([result.then((value) => ({ value })), current.exited.then((exit) => ({ exit }))]);
      if ("value" in next) {
        expect(next.value.status).toBe("published");
        await expectCleanPublish(bed, [], rows, next.value);
        return;
      }
      console.log(`[crash] the worker ended after the server restart (${next.exit.signal ?? `code ${next.exit.code}`}); starting another`);
      current = await bed.workers.next(null);
    }
  });
});
