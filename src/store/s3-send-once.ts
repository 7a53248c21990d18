/** An S3 request the SDK sends at most once (its retries refused), for creates that must not be resent. */
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import { WriteOutcomeUnknownError } from "../errors.js";

/** Whether a failed attempt can have reached the server: anything but a refused connection. */
function mayHaveArrived(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code !== "ECONNREFUSED";
}

/**
 * `command`, delivered at most once: a step inside the SDK's retry loop lets attempts through until
 * one may have reached the server (any failure but a refused connection), and turns the SDK's next
 * retry into a {@link WriteOutcomeUnknownError} naming that failure (not as its `cause`, which the
 * SDK would classify as transient and retry again). A create resent after its first attempt was
 * stored but answered by nothing could recreate an object another process consumed and deleted in between.
 */
export function sendOnce(command: PutObjectCommand, what: string): PutObjectCommand {
  let arrived: unknown;
  command.middlewareStack.add(
    (next) => async (args) => {
      if (arrived !== undefined) {
        const reason = arrived instanceof Error ? `${(arrived as NodeJS.ErrnoException).code ?? arrived.name}: ${arrived.message}` : String(arrived);
        throw new WriteOutcomeUnknownError(`The create of ${what} got no answer (${reason}) and was not sent again: it may or may not be stored; nothing that depends on it is acknowledged, so write it again under a new key.`);
      }
      try {
        return await next(args);
      } catch (err) {
        if (mayHaveArrived(err)) arrived = err ?? new Error("unknown failure");
        throw err;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "tidemarkSendOnce" },
  );
  return command;
}
