import { TidemarkError } from "../errors";

/** Exit codes of the CLI (SPEC §7). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A wrong invocation: exits 2. */
export class UsageError extends TidemarkError {}

/** Writes a line to stdout. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a value as one JSON document to stdout. */
export function sayJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders any thrown value as the one-sentence error a user sees and the exit code that goes with it. */
export function describeFailure(err: unknown): { message: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: EXIT.usage };
  if (err instanceof TidemarkError) return { message: err.message, code: EXIT.failed };
  const e = err as { name?: string; message?: string; cause?: { message?: string }; namespace?: string };
  if (e?.name === "NamespaceNotFoundError" && e.namespace) {
    const ns = e.namespace;
    return {
      message: `Temporal has no namespace ${JSON.stringify(ns)}; set TEMPORAL_NAMESPACE to an existing one (list them with "temporal operator namespace list") or create it with "temporal operator namespace create --namespace ${ns}".`,
      code: EXIT.failed,
    };
  }
  const detail = e?.cause?.message ? ` (${e.cause.message})` : "";
  return { message: `${e?.message ?? String(err)}${detail}`, code: EXIT.failed };
}
