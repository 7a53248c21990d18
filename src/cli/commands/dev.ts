import type { Command } from "commander";
import { existsSync, mkdirSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runtimeConfig } from "../../config/runtime";
import { observabilityFromEnv } from "../../observability/runtime";
import { TidemarkError } from "../../errors";
import { parseLogFormat, parsePort, parsePortOrZero } from "../options";
import { say, UsageError } from "../output";
import { waitForSignal } from "../signals";

/** The in-process worker of `tidemark dev` stopped on its own. */
export class WorkerStoppedError extends TidemarkError {}

interface DevOptions {
  port: number;
  uiPort: number;
  worker: boolean;
  logFormat?: string;
  metricsPort?: number;
}

/**
 * The environment a `tidemark ingest` run from this shell needs to reach this server and print links
 * to its UI: the variables whose value differs from what that run would assume without them.
 */
export function envHint(stack: { address: string; uiUrl?: string }, assumed: { address: string; uiUrl: string }): string {
  const vars: string[] = [];
  if (stack.address !== assumed.address) vars.push(`TEMPORAL_ADDRESS=${stack.address}`);
  if (stack.uiUrl !== undefined && stack.uiUrl !== assumed.uiUrl) vars.push(`TIDEMARK_UI_URL=${stack.uiUrl}`);
  return vars.map((v) => `${v} `).join("");
}

/** `tidemark dev [--port 7233] [--ui-port 8233] [--no-worker]`: Temporal dev server with persistent history plus a worker, until Ctrl-C. */
export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run a local Temporal dev server (history in .tidemark/temporal.db) and a worker until interrupted")
    .option("--port <port>", "Temporal frontend port", parsePort, 7233)
    .option("--ui-port <port>", "Temporal Web UI port", parsePort, 8233)
    .option("--no-worker", "start only the server; run workers with \"tidemark worker\"")
    .option("--log-format <format>", "worker log lines: text (default) or json; env TIDEMARK_LOG_FORMAT", parseLogFormat)
    .option("--metrics-port <port>", "serve the worker's Prometheus metrics on this port (SDK metrics on the next one); env TIDEMARK_METRICS_PORT", parsePortOrZero)
    .action(async (opts: DevOptions) => {
      if (opts.port === opts.uiPort) throw new UsageError(`--port and --ui-port are both ${opts.port}; give the Web UI another port (e.g. --ui-port 8233).`);
      const config = runtimeConfig();
      const observability = observabilityFromEnv(opts, "text");
      const stateDir = resolve(".tidemark");
      mkdirSync(stateDir, { recursive: true });
      if (config.storeUrl.startsWith("file://")) mkdirSync(fileURLToPath(config.storeUrl), { recursive: true });
      const signals = waitForSignal();
      try {
        const { startEmbeddedStack } = await import("../../devstack/embedded.js");
        const stack = await startEmbeddedStack({
          port: opts.port,
          uiPort: opts.uiPort,
          dbFilename: resolve(stateDir, "temporal.db"),
          storeUrl: config.storeUrl,
          datasetsDir: config.datasetsDir,
          taskQueue: config.taskQueue,
          namespace: config.temporal.namespace,
          worker: opts.worker,
          logLevel: observability.logLevel,
          logFormat: observability.logFormat,
          metricsPort: observability.metricsPort,
          metricsHost: observability.metricsHost,
          sdkMetricsPort: observability.sdkMetricsPort,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        const env = envHint(stack, { address: config.temporal.address, uiUrl: config.uiUrl });
        say(`Temporal UI    ${stack.uiUrl}`);
        say(`Temporal       ${stack.address} (namespace ${stack.namespace}, history in ${relative(process.cwd(), resolve(stateDir, "temporal.db"))})`);
        say(`store          ${config.storeUrl}`);
        say(`definitions    ${config.datasetsDir}${existsSync(config.datasetsDir) ? "" : " (missing: pass a definition file to ingest instead)"}`);
        if (stack.metricsUrl) say(`metrics        ${stack.metricsUrl} (Temporal SDK: ${stack.sdkMetricsUrl ?? "not exported"})`);
        say(`task queue     ${stack.taskQueue}${opts.worker ? " (worker running here)" : ' (no worker: start one with "tidemark worker")'}`);
        say(`ingest with    ${env}npx tidemark ingest <dataset-id | definition.yaml> --wait`);
        say("Ctrl-C stops the worker and the server.");
        let signalled = false;
        void signals.received.then(() => (signalled = true));
        const workerEnded = opts.worker ? stack.workerDone.then(() => undefined, (err: unknown) => err) : new Promise<never>(() => {});
        const ended = await Promise.race([signals.received.then(() => null), workerEnded]);
        process.stderr.write("stopping…\n");
        await stack.stop();
        if (ended !== null && !signalled) {
          const why = ended instanceof Error ? ended.message : "it shut down";
          throw new WorkerStoppedError(`The worker stopped unexpectedly (${why}); the server was stopped too — run "tidemark dev" again.`);
        }
        say("stopped.");
      } finally {
        signals.dispose();
      }
    });
}
