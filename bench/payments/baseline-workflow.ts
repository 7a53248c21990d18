import { proxyActivities } from "@temporalio/workflow";

const { noop } = proxyActivities<{ noop(id: string): Promise<string> }>({ startToCloseTimeout: "1m" });

/** The payments bench baseline: a workflow that runs exactly one activity. */
export async function oneActivity(id: string): Promise<string> {
  return noop(id);
}
