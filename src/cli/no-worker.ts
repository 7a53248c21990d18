/** The hint a waiting CLI gives when no worker polls the task queue its run was started on. */
import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";

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
