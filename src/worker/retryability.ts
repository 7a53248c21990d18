import { ApplicationFailure } from "@temporalio/common";
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from "@temporalio/worker";
import { TidemarkError } from "../errors";

/**
 * The failure Temporal sees for an error an activity threw: a {@link TidemarkError} becomes an
 * `ApplicationFailure` of its class name, non-retryable unless the class says `retryable` (the one
 * source of truth: retry policies list no error names). Anything else passes through unchanged.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof TidemarkError)) return err;
  const failure = ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: !err.retryable, cause: err.cause instanceof Error ? err.cause : undefined });
  failure.stack = err.stack;
  return failure;
}

/** Applies {@link toActivityFailure} to every activity attempt of a worker. */
export class RetryabilityInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, "execute">): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      throw toActivityFailure(err);
    }
  }
}
