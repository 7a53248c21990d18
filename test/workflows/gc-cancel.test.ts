import { WorkflowFailedError } from "@temporalio/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { startTestWorker, testClient, uniqueTaskQueue } from "../support/temporal";

const DELETE_MS = 150;
const JUNK = 60;

describe("a cancelled gc [file store, real dev server]", () => {
  it("ends only after its sweep stopped deleting, and deletes nothing after that", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-gc-cancel-"));
    const real = new FsObjectStore(join(dir, "store"));
    const deletes: number[] = [];
    const store: ObjectStore = Object.create(real);
    store.delete = async (key, options) => {
      await new Promise((r) => setTimeout(r, DELETE_MS));
      await real.delete(key, options);
      if (key.includes("/junk-")) deletes.push(Date.now());
    };
    const dataset = `gc_cancel_${Date.now().toString(36)}`;
    for (let i = 0; i < JUNK; i++) await real.put(`datasets/${dataset}/runs/20200101T000000000Z-deadbeef/junk-${String(i).padStart(3, "0")}`, "junk", { kind: "create" });
    const taskQueue = uniqueTaskQueue("gc-cancel");
    const client = await testClient();
    const worker = await startTestWorker({ store, datasetsDir: dir, taskQueue, client });
    try {
      const handle = await client.workflow.start("collectGarbage", { workflowId: `tidemark/gc/${dataset}`, taskQueue, args: [{ dataset, olderThan: 0 }] });
      while (deletes.length < 3) await new Promise((r) => setTimeout(r, 20));
      await handle.cancel();
      const err = await handle.result().catch((e: unknown) => e);
      const closedAt = Date.now();
      const deletedWhenClosed = deletes.length;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause?.name).toBe("CancelledFailure");
      await new Promise((r) => setTimeout(r, 4 * DELETE_MS + 3000));
      expect(deletes.filter((t) => t > closedAt)).toEqual([]);
      expect(deletes.length).toBe(deletedWhenClosed);
      expect(deletedWhenClosed).toBeLessThan(JUNK);
      let left = 0;
      for await (const _ of real.list(`datasets/${dataset}/`)) left++;
      expect(left).toBe(JUNK - deletedWhenClosed);
    } finally {
      await worker.stop();
      await client.connection.close();
    }
  }, 60_000);
});
