import type { Command } from "commander";
import { existsSync } from "node:fs";
import { assertListening } from "../../config/refused";
import { connectClient, connectWorker, runtimeConfig } from "../../config/runtime";
import { observabilityFromEnv, startObservability } from "../../observability/runtime";
import { requireSearchAttributes } from "../../worker/search-attributes";
import { TemporalUnreachableError } from "../client";
import { parseLogFormat, parsePortOrZero } from "../options";
import { say } from "../output";
import { waitForSignal } from "../signals";

/** `tidemark worker`: runs all Tidemark workflows and activities for `TEMPORAL_ADDRESS` until SIGINT/SIGTERM. */
export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run a worker for TEMPORAL_ADDRESS (task queue TIDEMARK_TASK_QUEUE, store TIDEMARK_STORE) until interrupted")
    .option("--log-format <format>", "json (one object per line, default) or text; env TIDEMARK_LOG_FORMAT", parseLogFormat)
    .option("--metrics-port <port>", "serve Prometheus metrics on this port (SDK metrics on the next one); env TIDEMARK_METRICS_PORT", parsePortOrZero)
    .action(async (opts: { logFormat?: string; metricsPort?: number }) => {
      const config = runtimeConfig();
      const { address, namespace } = config.temporal;
      const unreachable = (err: unknown) => new TemporalUnreachableError(`Temporal is not reachable at ${address} (${(err as Error).message}); start it with "tidemark dev" or set TEMPORAL_ADDRESS.`);
      // Before the SDK's Runtime is installed: a Runtime no connection ever used keeps the process alive.
      await assertListening(address).catch((err: unknown) => Promise.reject(unreachable(err)));
      const observability = await startObservability(observabilityFromEnv(opts, "json"));
      if (observability.metricsUrl) observability.logger.info("metrics served", { tidemark: observability.metricsUrl, sdk: observability.sdkMetricsUrl });
      const { openStore } = await import("../../store/open.js");
      const store = openStore(config.storeUrl);
      let connection;
      let client;
      try {
        connection = await connectWorker(config.temporal);
        client = await connectClient(config.temporal);
      } catch (err) {
        await connection?.close().catch(() => {});
        await observability.close();
        throw unreachable(err);
      }
      const signals = waitForSignal();
      try {
        await requireSearchAttributes(client, namespace, address, (why) =>
          observability.logger.warn("could not list the namespace's search attributes; starting without checking them", { namespace, error: why }),
        );
        const { checkStoreAtStart } = await import("../../store/conditional-probe.js");
        await checkStoreAtStart(store, (problem) => observability.logger.warn(problem));
        const { createTidemarkWorker } = await import("../../worker/worker.js");
        const worker = await createTidemarkWorker({
          connection, namespace, store, datasetsDir: config.datasetsDir, client, taskQueue: config.taskQueue, metrics: observability.metrics,
        });
        const running = worker.run();
        const defs = existsSync(config.datasetsDir) ? "" : " (missing: runs by dataset id fail until TIDEMARK_DATASETS names a directory of definitions; a definition file passed to ingest still works)";
        say(`worker polling task queue ${config.taskQueue} on ${address} namespace ${namespace}, store ${store.url}, definitions ${config.datasetsDir}${defs}`);
        await Promise.race([signals.received, running]);
        if (worker.getState() === "RUNNING") worker.shutdown();
        await running;
        say("worker stopped.");
      } finally {
        signals.dispose();
        await client.connection.close().catch(() => {});
        await connection.close().catch(() => {});
        await observability.close();
      }
    });
}
