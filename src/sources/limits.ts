/** The worker's source fetch limits from its environment. */
import { TidemarkError } from "../errors";
import type { SourceDeps } from "./open";

/** An environment variable that configures source fetching has an unusable value. */
export class SourceConfigError extends TidemarkError {}

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SourceConfigError(`${name} must be a whole number of at least 1 (got ${JSON.stringify(text)}); fix or unset it.`);
  return n;
}

/**
 * `TIDEMARK_SOURCE_TIMEOUT_MS` (how long an HTTP source has to answer with its headers) and
 * `TIDEMARK_SOURCE_ATTEMPTS` (fetch attempts before an unreachable source fails the run), when set.
 */
export function sourceLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<SourceDeps, "httpTimeoutMs" | "attempts"> {
  const httpTimeoutMs = positiveInt(env, "TIDEMARK_SOURCE_TIMEOUT_MS");
  const attempts = positiveInt(env, "TIDEMARK_SOURCE_ATTEMPTS");
  return { ...(httpTimeoutMs !== undefined ? { httpTimeoutMs } : {}), ...(attempts !== undefined ? { attempts } : {}) };
}
