import { TemporalFailure } from "@temporalio/common";

/** The innermost failure of a workflow/activity failure chain: what actually went wrong. */
export function rootFailure(err: unknown): { type?: string; message: string } {
  let current: unknown = err;
  let last: { type?: string; message: string } = { message: String((err as Error)?.message ?? err) };
  for (let depth = 0; current && depth < 10; depth++) {
    const c = current as { type?: string; name?: string; message?: string; cause?: unknown };
    if (c.message && !/^(Workflow execution failed|Activity task failed|Child Workflow execution failed)$/.test(c.message)) {
      last = { type: c.type ?? c.name, message: c.message };
    }
    if (!(current instanceof TemporalFailure) && !(current instanceof Error)) break;
    current = c.cause;
  }
  return last;
}
