import type { LogLevel } from "@temporalio/common";
import { freePort } from "../devstack/ports";
import { TidemarkError } from "../errors";
import { TidemarkLogger, parseLogLevel, type LogFormat } from "./logger";
import { serveMetrics, TidemarkMetrics, type MetricsServer } from "./metrics";

/** A logging or metrics setting (flag or environment variable) is malformed. */
export class ObservabilityConfigError extends TidemarkError {}

/** How a worker process logs and exposes metrics. */
export interface ObservabilityOptions {
  logFormat: LogFormat;
  logLevel: LogLevel;
  /** Port of Tidemark's `/metrics` (0 picks a free one); no metrics when undefined. */
  metricsPort?: number;
  /** Interface the metrics endpoints bind to (default 127.0.0.1). */
  metricsHost?: string;
  /** Port of the Temporal SDK's own Prometheus endpoint (default: metrics port + 1, or a free one when the metrics port is 0). */
  sdkMetricsPort?: number;
  /** Where log lines go (default stderr). */
  write?: (line: string) => void;
}

/** What {@link startObservability} set up. */
export interface Observability {
  logger: TidemarkLogger;
  /** False when a Temporal Runtime existed already (its logger and metrics stay in charge). */
  runtimeInstalled: boolean;
  /** Tidemark's metrics, to hand to the worker; undefined when metrics are off. */
  metrics?: TidemarkMetrics;
  /** `http://host:port/metrics` of Tidemark's metrics. */
  metricsUrl?: string;
  /** `http://host:port/metrics` of the Temporal SDK's metrics (served by the SDK's core). */
  sdkMetricsUrl?: string;
  /** Stops the metrics endpoint (the SDK's endpoint lives as long as the process). */
  close(): Promise<void>;
}

function parsePortValue(value: string, name: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ObservabilityConfigError(`${name}=${value} is not a port; set it to a number between 0 and 65535 or unset it.`);
  return port;
}

/**
 * Resolves observability settings: flags first, then `TIDEMARK_LOG_FORMAT`, `TIDEMARK_LOG_LEVEL`
 * (default info), `TIDEMARK_METRICS_PORT` (off when unset), `TIDEMARK_METRICS_HOST` (default
 * 127.0.0.1) and `TIDEMARK_SDK_METRICS_PORT`.
 */
export function observabilityFromEnv(
  flags: { logFormat?: string; metricsPort?: number },
  defaultFormat: LogFormat,
  env: NodeJS.ProcessEnv = process.env,
): ObservabilityOptions {
  const format = (flags.logFormat ?? env.TIDEMARK_LOG_FORMAT ?? defaultFormat).trim().toLowerCase();
  if (format !== "json" && format !== "text") throw new ObservabilityConfigError(`Log format "${format}" is unknown; use --log-format json or text (or TIDEMARK_LOG_FORMAT).`);
  const levelName = env.TIDEMARK_LOG_LEVEL ?? "info";
  const logLevel = parseLogLevel(levelName);
  if (!logLevel) throw new ObservabilityConfigError(`TIDEMARK_LOG_LEVEL=${levelName} is unknown; use trace, debug, info, warn or error.`);
  const metricsPort = flags.metricsPort ?? (env.TIDEMARK_METRICS_PORT ? parsePortValue(env.TIDEMARK_METRICS_PORT, "TIDEMARK_METRICS_PORT") : undefined);
  const sdkMetricsPort = env.TIDEMARK_SDK_METRICS_PORT ? parsePortValue(env.TIDEMARK_SDK_METRICS_PORT, "TIDEMARK_SDK_METRICS_PORT") : undefined;
  return { logFormat: format, logLevel, metricsPort, metricsHost: env.TIDEMARK_METRICS_HOST || "127.0.0.1", sdkMetricsPort };
}

function coreLevel(level: LogLevel): LogLevel {
  return level === "ERROR" ? "ERROR" : level === "TRACE" || level === "DEBUG" ? level : "WARN";
}

/**
 * Installs the process-wide Temporal Runtime with Tidemark's logger (core logs forwarded to it) and,
 * when a metrics port is set, the SDK's Prometheus exporter, then serves Tidemark's own metrics.
 * Call it before the first `NativeConnection`; if a Runtime exists already it is left as it is.
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const logger = new TidemarkLogger({ format: options.logFormat, level: options.logLevel, write: options.write });
  const host = options.metricsHost ?? "127.0.0.1";
  let server: MetricsServer | undefined;
  let metrics: TidemarkMetrics | undefined;
  let sdkPort: number | undefined;
  if (options.metricsPort !== undefined) {
    metrics = new TidemarkMetrics();
    try {
      server = await serveMetrics(metrics, { port: options.metricsPort, host });
    } catch (err) {
      throw new ObservabilityConfigError(`Cannot serve metrics on ${host}:${options.metricsPort} (${(err as Error).message}); pass another --metrics-port or TIDEMARK_METRICS_PORT.`);
    }
    sdkPort = options.sdkMetricsPort ?? (options.metricsPort === 0 ? await freePort() : options.metricsPort + 1);
  }
  const hostForUrl = host.includes(":") ? `[${host}]` : host;
  let runtimeInstalled = true;
  const { Runtime } = await import("@temporalio/worker");
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        logging: { filter: { core: coreLevel(options.logLevel), other: "ERROR" }, forward: {} },
        ...(sdkPort !== undefined ? { metrics: { prometheus: { bindAddress: `${hostForUrl}:${sdkPort}` } } } : {}),
      },
    });
  } catch (err) {
    if (!/already/i.test((err as Error).message)) {
      await server?.close();
      throw new ObservabilityConfigError(`Cannot start the Temporal SDK telemetry (${(err as Error).message}); check TIDEMARK_SDK_METRICS_PORT.`);
    }
    runtimeInstalled = false;
  }
  return {
    logger,
    runtimeInstalled,
    metrics,
    metricsUrl: server?.url,
    sdkMetricsUrl: runtimeInstalled && sdkPort !== undefined ? `http://${hostForUrl}:${sdkPort}/metrics` : undefined,
    close: async () => {
      await server?.close();
    },
  };
}
