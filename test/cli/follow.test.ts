import type { WorkflowHandle } from "@temporalio/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { follow } from "../../src/cli/commands/ingest";
import { NO_WORKER_AFTER_MS } from "../../src/cli/no-worker";
import type { IngestResult } from "../../src/contracts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/**
 * `follow` (what `ingest --wait` waits with) against a run whose `progress` query never answers, as
 * on a task queue no worker polls, where the server holds a query until its own timeout.
 */
describe("follow", () => {
  it("asks for the no-worker notice once the run has been silent for NO_WORKER_AFTER_MS, even while a progress query is still pending", async () => {
    vi.useFakeTimers();
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation(((chunk: string) => (written.push(String(chunk)), true)) as never);
    let endQuery!: (err: Error) => void;
    const pendingQuery = new Promise<never>((_, reject) => (endQuery = reject));
    let finish!: (r: IngestResult) => void;
    const result = new Promise<IngestResult>((resolve) => (finish = resolve));
    const queries: number[] = [];
    const handle = {
      query: () => {
        queries.push(Date.now());
        return pendingQuery;
      },
      result: () => result,
    } as unknown as WorkflowHandle;
    const noWorker = vi.fn(async () => "No worker is polling task queue q.");
    const waiting = follow(handle, true, noWorker);
    await vi.advanceTimersByTimeAsync(NO_WORKER_AFTER_MS + 1_000);
    expect(queries).toHaveLength(1);
    expect(noWorker).toHaveBeenCalledTimes(1);
    expect(written).toEqual(["tidemark: No worker is polling task queue q.\n"]);
    finish({ dataset: "d", status: "unchanged" } as IngestResult);
    endQuery(new Error("query timed out"));
    await expect(waiting).resolves.toMatchObject({ status: "unchanged" });
    expect(noWorker).toHaveBeenCalledTimes(1);
  });
});
