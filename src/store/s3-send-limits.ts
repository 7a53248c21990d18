/** Limits on how an S3 write is sent: at most once, and not past a deadline. */
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import { WriteOutcomeUnknownError } from "../errors.js";

/** How a write may be sent: `once` (never resent once an attempt may have arrived), `by` (epoch ms: no attempt starts or stays in flight past it). */
export interface SendLimits {
  once?: boolean;
  by?: number;
}

/** The limits a write mode asks for: `sendOnce` of a create, `by` of a create or an update. */
export function limitsOf(mode: { kind: string; sendOnce?: boolean; by?: number }): SendLimits | undefined {
  const once = mode.kind === "create" && mode.sendOnce === true;
  return once || mode.by !== undefined ? { once, by: mode.by } : undefined;
}

/** Failures that prove the request was not applied: no connection made, or the server refused it for load (429, 503 SlowDown). */
const NOT_ARRIVED_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);
const REFUSED_FOR_LOAD = new Set([429, 503]);

/** Whether a failed attempt can have been applied by the server: anything but a connection never made or a refusal for load. */
function mayHaveArrived(err: unknown): boolean {
  const e = err as { code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return !NOT_ARRIVED_CODES.has(e?.code ?? "") && !REFUSED_FOR_LOAD.has(e?.$metadata?.httpStatusCode ?? 0);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err);
}

/**
 * `command` with a step inside the SDK's retry loop that enforces `limits`: with `once`, attempts go
 * through until one may have been applied (any failure but a connection never made or a 429/503
 * refusal for load), and the SDK's
 * next retry becomes a {@link WriteOutcomeUnknownError} naming that failure (not as its `cause`, which
 * the SDK would classify as transient and retry again); with `by`, no attempt starts past the deadline.
 * A create resent after its first attempt was stored unanswered could recreate an object another
 * process consumed and deleted meanwhile; a CAS resent after its activity attempt ended could land
 * after the run decided it had not, and compensated. (An abort only closes the connection: a request
 * the server had fully received may still be applied moments after the deadline.)
 */
export function limitSends(command: PutObjectCommand, limits: SendLimits, what: string): PutObjectCommand {
  let arrived: unknown;
  command.middlewareStack.add(
    (next) => async (args) => {
      if (arrived !== undefined) {
        throw new WriteOutcomeUnknownError(`The write of ${what} failed without a definite answer (${describe(arrived)}) and was not sent again: it may or may not be stored; nothing that depends on it is acknowledged, so write it again under a new key.`);
      }
      if (limits.by !== undefined && Date.now() >= limits.by) {
        throw new WriteOutcomeUnknownError(`The write of ${what} was not sent again: its deadline ${new Date(limits.by).toISOString()} has passed; the attempt that owns it decides from the store whether an earlier send landed.`);
      }
      try {
        return await next(args);
      } catch (err) {
        if (limits.once && mayHaveArrived(err)) arrived = err ?? new Error("unknown failure");
        throw err;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "tidemarkSendLimits" },
  );
  return command;
}

/** An abort signal for a write's `by` deadline (none without one). */
export function deadlineSignal(limits: SendLimits | undefined): AbortSignal | undefined {
  return limits?.by === undefined ? undefined : AbortSignal.timeout(Math.max(0, limits.by - Date.now()));
}
