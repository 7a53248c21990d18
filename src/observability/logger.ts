import type { LogLevel, LogMetadata, Logger } from "@temporalio/common";
import { redact, redactValue } from "./redact";

/** `json`: one JSON object per line (workers); `text`: one compact human-readable line (`tidemark dev`). */
export type LogFormat = "json" | "text";

/** The log levels Tidemark accepts, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/** Key of the SDK's log timestamp (`LogTimestamp` of @temporalio/worker, a registered symbol), named here so CLI start-up does not load the worker SDK. */
const LogTimestamp = Symbol.for("log_timestamp");

/** Options of {@link TidemarkLogger}. */
export interface TidemarkLoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where each finished line goes (default: stderr). */
  write?: (line: string) => void;
  /** Environment whose secret-looking values are redacted (default: `process.env`, read per line). */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

const RENAMED: Record<string, string> = { workflowRunId: "runId" };
const DROPPED = new Set(["sdkComponent", "taskToken"]);
const ORDER = ["dataset", "version", "workflowId", "runId", "activityType", "workflowType", "taskQueue"];
const WEBPACK_STATS = /^(?:\x1b\[[0-9;]*m)*(asset |modules by path |orphan modules |runtime modules |cacheable modules |webpack \d)/m;

/** Parses a level name case-insensitively; `undefined` when it is not one. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const upper = value.trim().toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}

function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

function textValue(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

/**
 * The Temporal Runtime logger of a Tidemark worker: filters by level, redacts credentials from the
 * message and every metadata value, and writes one line per event. SDK metadata is flattened
 * (`workflowRunId` becomes `runId`); the webpack report of the workflow bundler is demoted to DEBUG.
 */
export class TidemarkLogger implements Logger {
  private readonly minRank: number;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: TidemarkLoggerOptions) {
    this.minRank = levelRank(options.level);
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = options.now ?? (() => new Date());
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const effective = level === "INFO" && WEBPACK_STATS.test(message) ? "DEBUG" : level;
    if (levelRank(effective) < this.minRank) return;
    this.write(this.format(effective, message, meta));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log("TRACE", message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log("DEBUG", message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log("INFO", message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log("WARN", message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log("ERROR", message, meta);
  }

  /** Renders one event as a line (without the newline). */
  format(level: LogLevel, message: string, meta?: LogMetadata): string {
    const env = this.options.env ?? process.env;
    const fields = this.fields(meta, env);
    const nanos = (meta as Record<symbol, unknown> | undefined)?.[LogTimestamp];
    const ts = typeof nanos === "bigint" ? new Date(Number(nanos / 1_000_000n)) : this.now();
    const msg = redact(message, env);
    if (this.options.format === "json") {
      return JSON.stringify({ ts: ts.toISOString(), level: level.toLowerCase(), msg, ...fields });
    }
    const pairs = Object.entries(fields).map(([k, v]) => `${k}=${textValue(v)}`);
    return [ts.toISOString().slice(11, 23), level.padEnd(5), msg.replace(/\n/g, "\n    "), ...pairs].join(" ");
  }

  private fields(meta: LogMetadata | undefined, env: NodeJS.ProcessEnv): Record<string, unknown> {
    const flat: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (DROPPED.has(key) || value === undefined) continue;
      const clean = redactValue(value, env);
      if (clean !== undefined) flat[RENAMED[key] ?? key] = clean;
    }
    const ordered: Record<string, unknown> = {};
    for (const key of ORDER) if (key in flat) ordered[key] = flat[key];
    for (const [key, value] of Object.entries(flat)) if (!(key in ordered)) ordered[key] = value;
    return ordered;
  }
}
