/** One writer per dataset (SPEC §3): the canonical workflow id and the refusal message. Pure. */

/** Workflow id of the one ingest of a dataset that may execute at a time. */
export function ingestWorkflowId(dataset: string): string {
  return `tidemark/ingest/${dataset}`;
}

/** The refusal message for a dataset held by another run. */
export function busyMessage(dataset: string, holder: { workflowId: string; runId: string } | null): string {
  const who = holder ? `workflow ${holder.workflowId} run ${holder.runId}` : `workflow ${ingestWorkflowId(dataset)}`;
  return `Dataset ${dataset} is being ingested by ${who}; wait for it with "tidemark status ${dataset}" or cancel it with "tidemark cancel ${dataset}".`;
}
