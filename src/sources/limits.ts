/** The worker's source fetch limits from its environment. */
import { TidemarkError } from "../errors";
import type { SourceDeps } from "./open";

/** Milliseconds an HTTP source has to answer with its headers, unless `TIDEMARK_SOURCE_TIMEOUT_MS` says otherwise. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 30_000;

/** Longest pause in an HTTP source's body before the fetch fails and is retried, unless `TIDEMARK_SOURCE_IDLE_MS` says otherwise. */
export const DEFAULT_SOURCE_IDLE_MS = 300_000;
/** Attempts of a fetch before an unreachable source fails the run, unless `TIDEMARK_SOURCE_ATTEMPTS` says otherwise (the ingest workflow's own retry limit). */
export const DEFAULT_SOURCE_ATTEMPTS = 20;

/** The worker variable that, set to `accept`, lets HTTP sources send bodies framed only by the end of the connection. */
export const UNFRAMED_VAR = "TIDEMARK_SOURCE_UNFRAMED";

/** An environment variable that configures source fetching has an unusable value. */
export class SourceConfigError extends TidemarkError {
  override readonly retryable = true;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SourceConfigError(`${name} must be a whole number of at least 1 (got ${JSON.stringify(text)}); fix or unset it.`);
  return n;
}

/**
 * `TIDEMARK_SOURCE_TIMEOUT_MS` (how long an HTTP source has to answer with its headers),
 * `TIDEMARK_SOURCE_IDLE_MS` (the longest pause in its body) and `TIDEMARK_SOURCE_ATTEMPTS` (fetch
 * attempts before an unreachable source fails the run) and `TIDEMARK_SOURCE_UNFRAMED` (`accept`:
 * read HTTP bodies framed only by the end of the connection), when set.
 */
export function sourceLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<SourceDeps, "httpTimeoutMs" | "httpIdleMs" | "attempts" | "acceptUnframed"> {
  const httpTimeoutMs = positiveInt(env, "TIDEMARK_SOURCE_TIMEOUT_MS");
  const httpIdleMs = positiveInt(env, "TIDEMARK_SOURCE_IDLE_MS");
  const attempts = positiveInt(env, "TIDEMARK_SOURCE_ATTEMPTS");
  const unframed = env[UNFRAMED_VAR];
  if (unframed !== undefined && unframed !== "" && unframed !== "accept" && unframed !== "refuse") {
    throw new SourceConfigError(`${UNFRAMED_VAR} must be "accept" or "refuse" (got ${JSON.stringify(unframed.slice(0, 40))}); fix or unset it.`);
  }
  return {
    ...(httpTimeoutMs !== undefined ? { httpTimeoutMs } : {}),
    ...(httpIdleMs !== undefined ? { httpIdleMs } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
    ...(unframed === "accept" ? { acceptUnframed: true } : {}),
  };
}

/** The worker's size limits on one source, each configurable by its variable. */
export interface IngestLimits {
  /** Bytes of the source as fetched (`TIDEMARK_MAX_SOURCE_BYTES`). */
  sourceBytes: number;
  /** Data rows (`TIDEMARK_MAX_ROWS`). */
  rows: number;
  /** Columns (`TIDEMARK_MAX_COLUMNS`). */
  columns: number;
  /** Bytes of one CSV record, NDJSON line or JSON record (`TIDEMARK_MAX_ROW_BYTES`). */
  rowBytes: number;
  /** JSON/NDJSON nesting depth (`TIDEMARK_MAX_JSON_DEPTH`). */
  jsonDepth: number;
  /** Cells (rows × columns) of an XLSX sheet (`TIDEMARK_MAX_XLSX_CELLS`). */
  xlsxCells: number;
  /** Uncompressed bytes of a Parquet source's column data (from its footer) or of an XLSX workbook's XML parts (from its zip directory) (`TIDEMARK_MAX_DECOMPRESSED_BYTES`). */
  decompressedBytes: number;
}

/** Limits when their variables are unset. */
export const DEFAULT_LIMITS: Readonly<IngestLimits> = {
  sourceBytes: 2 * 1024 ** 3,
  rows: 100_000_000,
  columns: 1_000,
  rowBytes: 16 * 1024 ** 2,
  jsonDepth: 64,
  xlsxCells: 50_000_000,
  decompressedBytes: 8 * 1024 ** 3,
};

/** The variable of each limit. */
export const LIMIT_VARS: Readonly<Record<keyof IngestLimits, string>> = {
  sourceBytes: "TIDEMARK_MAX_SOURCE_BYTES",
  rows: "TIDEMARK_MAX_ROWS",
  columns: "TIDEMARK_MAX_COLUMNS",
  rowBytes: "TIDEMARK_MAX_ROW_BYTES",
  jsonDepth: "TIDEMARK_MAX_JSON_DEPTH",
  xlsxCells: "TIDEMARK_MAX_XLSX_CELLS",
  decompressedBytes: "TIDEMARK_MAX_DECOMPRESSED_BYTES",
};

/** The worker's limits: each `TIDEMARK_MAX_*` variable when set (a whole number ≥ 1), else {@link DEFAULT_LIMITS}. */
export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARS) as (keyof IngestLimits)[]) out[key] = positiveInt(env, LIMIT_VARS[key]) ?? DEFAULT_LIMITS[key];
  return out;
}
