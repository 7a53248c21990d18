/** The hint a waiting CLI gives when no worker polls the task queue its run was started on. */
import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";

/** How long a run may go unanswered before a waiting CLI checks that a worker polls its task queue. */
export const NO_WORKER_AFTER_MS = 5_000;

/** The one-line notice for a run waiting on `taskQueue` without a worker. Pure. */
export function noWorkerMessage(taskQueue: string, address: string, namespace: string): string {
  return `No worker is polling task queue ${taskQueue} on ${address} (namespace ${namespace}); the run waits until one does: start "tidemark worker" with the same TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TIDEMARK_TASK_QUEUE.`;
}

/**
 * The notice of {@link noWorkerMessage} when the task queue has no workflow poller, else null (also
 * when the server cannot tell: the hint is only ever a hint).
 */
export async function noWorkerNotice(client: Client, taskQueue: string, address: string): Promise<string | null> {
  const namespace = client.options.namespace;
  try {
    const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
    return (res.pollers ?? []).length === 0 ? noWorkerMessage(taskQueue, address, namespace) : null;
  } catch {
    return null;
  }
}

/**
 * Waits for `result`; when it has not settled after `afterMs`, asks `notice` once (see
 * {@link noWorkerNotice}) and writes its answer on stderr, then keeps waiting. Returns only once
 * that question is answered, so no call is left in flight on a connection the caller closes next.
 */
export async function awaitNoticingNoWorker<T>(result: Promise<T>, notice: () => Promise<string | null>, afterMs = NO_WORKER_AFTER_MS): Promise<T> {
  let settled = false;
  let asked: Promise<void> | undefined;
  const timer = setTimeout(() => {
    asked = notice().then(
      (text) => {
        if (text && !settled) process.stderr.write(`tidemark: ${text}\n`);
      },
      () => {},
    );
  }, afterMs);
  try {
    return await result;
  } finally {
    settled = true;
    clearTimeout(timer);
    await asked;
  }
}
