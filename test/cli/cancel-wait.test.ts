import type { WorkflowHandle } from "@temporalio/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cancelOutcome } from "../../src/cli/commands/cancel";

afterEach(() => {
  vi.useRealTimers();
});

/**
 * `cancelOutcome` (what `tidemark cancel` waits with) against a run that does not close within the
 * wait, as when no worker runs its compensations: the server holds a result call for about 20 s
 * after the CLI has answered, keeping the process alive past --wait-seconds.
 */
describe("cancelOutcome", () => {
  it("gives up after the wait and aborts the result call it made, so no call outlives the answer", async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const handle = {
      result: () => new Promise<never>(() => {}),
      client: {
        withAbortSignal: <R>(signal: AbortSignal, fn: () => Promise<R>) => {
          signals.push(signal);
          return fn();
        },
      },
    } as unknown as WorkflowHandle;
    const outcome = cancelOutcome(handle, 2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(outcome).resolves.toEqual({ kind: "still-running" });
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });
});
