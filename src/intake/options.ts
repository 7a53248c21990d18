/** Settings of `tidemark serve` and their defaults. */
import type { Client } from "@temporalio/client";
import type { DatasetDefinition } from "../definition/schema.js";
import type { ObjectStore } from "../store/types.js";
import type { TokenTable } from "./tokens.js";

/** Limits and timings of the intake server. */
export interface IntakeLimits {
  /** Largest request body in bytes (after decompression too). */
  readonly maxBodyBytes: number;
  /** Largest single record in bytes. */
  readonly maxRecordBytes: number;
  /** Wait of a group before its write, in ms; 0 (default): write as soon as the dataset has a free write slot. */
  readonly groupDelayMs: number;
  /** With `groupDelayMs` > 0, the group size in bytes that triggers a write without waiting. */
  readonly maxGroupBytes: number;
  /** Validated bytes per dataset waiting or being written, above which requests get 429. */
  readonly maxInflightBytes: number;
  /** Fragment writes in flight at once per dataset. */
  readonly maxWrites: number;
  /** Bytes of request bodies the whole server holds at once (each request counts its Content-Length, or the body limit when unknown, twice when gzipped); more gets 429. */
  readonly maxServerBytes: number;
  /** Requests the whole server handles at once (admitted, not yet answered); more get 429. */
  readonly maxRequests: number;
  /** Backlog bound in bytes of a dataset without `source.push.max_backlog_bytes`. */
  readonly maxBacklogBytes: number;
  /** How often the inbox backlog is listed again, in ms. */
  readonly backlogRefreshMs: number;
  /** Requests per second per token on average. */
  readonly ratePerSecond: number;
  /** Requests per token at once. */
  readonly rateBurst: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: IntakeLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  groupDelayMs: 0,
  maxGroupBytes: 4 * 1024 * 1024,
  maxInflightBytes: 32 * 1024 * 1024,
  maxWrites: 2,
  maxServerBytes: 64 * 1024 * 1024,
  maxRequests: 256,
  maxBacklogBytes: 1024 * 1024 * 1024,
  backlogRefreshMs: 5000,
  ratePerSecond: 2000,
  rateBurst: 4000,
};

/** Everything the intake server needs. */
export interface IntakeServerOptions {
  readonly store: ObjectStore;
  /** Every dataset definition the server knows (push and others). */
  readonly definitions: readonly DatasetDefinition[];
  readonly tokens: TokenTable;
  readonly limits?: Partial<IntakeLimits>;
  /** A Temporal client for the payments API and `/readyz`, opened on first use. */
  readonly temporal: () => Promise<Client>;
  /** Task queue of the payment workflows. */
  readonly taskQueue: string;
  /** Ledger of the payments API. */
  readonly ledger: string;
  /** Also export Node.js process metrics. */
  readonly processMetrics?: boolean;
  /** Request compactions of due push datasets from Temporal (SPEC §11); on unless false. */
  readonly compact?: boolean;
  /** Where serve's warnings go (failing fragment writes); default stderr, prefixed "serve: ". */
  readonly warn?: (line: string) => void;
}
