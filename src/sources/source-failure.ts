/** The errors of a source that could not be reached, shared by the HTTP and S3 openers. */
import type { SourceDeps } from "./open";
import { DEFAULT_SOURCE_ATTEMPTS } from "./limits";
import { SourceUnavailableError, SourceUnreachableError } from "./errors";

/**
 * The error of a transient source failure: retryable while attempts remain, else a final
 * {@link SourceUnreachableError}. `what` says what happened; `fix` what to check.
 */
export function unavailable(shown: string, what: string, fix: string, deps: SourceDeps): Error {
  const attempts = deps.attempts ?? DEFAULT_SOURCE_ATTEMPTS;
  const attempt = deps.attempt ?? 1;
  if (attempt >= attempts) {
    const tries = attempts === 1 ? "" : ` on all ${attempts} attempts`;
    return new SourceUnreachableError(`Source ${shown} ${what}${tries}; ${fix}.`);
  }
  return new SourceUnavailableError(`Source ${shown} ${what} (attempt ${attempt} of ${attempts}); it will be retried.`);
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function networkProblem(err: unknown, timedOut: boolean, timeoutMs: number): { what: string; fix: string } {
  if (timedOut) return { what: `did not answer within ${seconds(timeoutMs)}`, fix: "check that the server is up and reachable from the worker, or raise TIDEMARK_SOURCE_TIMEOUT_MS" };
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  if (code === "ECONNREFUSED") return { what: "refused the connection", fix: "check the host and port in source.uri and that the server is running" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { what: "has a host name that does not resolve", fix: "check the host in source.uri and the worker's DNS" };
  return { what: `could not be reached (${code ?? (err as Error).name ?? "network error"})`, fix: "check source.uri and the worker's network" };
}
