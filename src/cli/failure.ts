import { ApplicationFailure, TemporalFailure } from "@temporalio/common";

/**
 * What actually went wrong in a workflow/activity failure chain: the outermost application
 * failure (the typed error an activity or workflow threw, not the SDK error it wraps as its
 * cause), else the innermost failure with a message of its own.
 */
export function rootFailure(err: unknown): { type?: string; message: string } {
  let current: unknown = err;
  let last: { type?: string; message: string } = { message: String((err as Error)?.message ?? err) };
  for (let depth = 0; current && depth < 10; depth++) {
    if (current instanceof ApplicationFailure) return { type: current.type ?? undefined, message: current.message };
    const c = current as { type?: string; name?: string; message?: string; cause?: unknown };
    if (c.message && !/^(Workflow execution failed|Activity task failed|Child Workflow execution failed)$/.test(c.message)) {
      last = { type: c.type ?? c.name, message: c.message };
    }
    if (!(current instanceof TemporalFailure) && !(current instanceof Error)) break;
    current = c.cause;
  }
  return last;
}
