import type { Client } from "@temporalio/client";
import type { Command } from "commander";
import { connectClient, runtimeConfig } from "../../config/runtime";
import type { IntakeLimits } from "../../intake/options";
import { parsePortOrZero, parsePositiveInt } from "../options";
import { say } from "../output";
import { waitForSignal } from "../signals";
import { ledgerName } from "./ledger-context";

interface ServeOptions {
  host: string;
  port: number;
  ledger?: string;
  maxBodyBytes?: number;
  maxRecordBytes?: number;
  groupDelayMs?: number;
  groupBytes?: number;
  maxWrites?: number;
  maxInflightBytes?: number;
  maxBacklogBytes?: number;
  maxServerBytes?: number;
  maxRequests?: number;
  rate?: number;
  burst?: number;
  compact?: boolean;
}

function limitsOf(o: ServeOptions): Partial<IntakeLimits> {
  const picked: Partial<Record<keyof IntakeLimits, number | undefined>> = {
    maxBodyBytes: o.maxBodyBytes, maxRecordBytes: o.maxRecordBytes, groupDelayMs: o.groupDelayMs, maxGroupBytes: o.groupBytes, maxWrites: o.maxWrites,
    maxInflightBytes: o.maxInflightBytes, maxBacklogBytes: o.maxBacklogBytes, maxServerBytes: o.maxServerBytes, maxRequests: o.maxRequests, ratePerSecond: o.rate, rateBurst: o.burst,
  };
  return Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as Partial<IntakeLimits>;
}

/** `tidemark serve`: the push intake and payments HTTP API (SPEC §11, §12) until SIGINT/SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("accept pushed records (POST /v1/datasets/<id>/records) and the payments API over HTTP until interrupted")
    .option("--host <host>", "address to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", parsePortOrZero, 8080)
    .option("--ledger <id>", "ledger of the payments API (env TIDEMARK_LEDGER, default \"default\")")
    .option("--max-body-bytes <n>", "largest request body, also once decompressed (default 8 MiB)", parsePositiveInt)
    .option("--max-record-bytes <n>", "largest record (default 1 MiB)", parsePositiveInt)
    .option("--group-delay-ms <n>", "wait of each group before its fragment is written (default: none, a group is written as soon as the previous write of its dataset is done)", parsePositiveInt)
    .option("--group-bytes <n>", "with --group-delay-ms, a group holding this many bytes is written without waiting (default 4 MiB)", parsePositiveInt)
    .option("--max-writes <n>", "fragment writes in flight at once per dataset (default 2)", parsePositiveInt)
    .option("--max-inflight-bytes <n>", "records per dataset waiting or being written before 429 (default 32 MiB)", parsePositiveInt)
    .option("--max-backlog-bytes <n>", "inbox backlog per dataset before 429, unless its definition says (default 1 GiB)", parsePositiveInt)
    .option("--max-server-bytes <n>", "request bodies the whole server holds at once before 429 (default 64 MiB)", parsePositiveInt)
    .option("--max-requests <n>", "requests the whole server handles at once before 429 (default 256)", parsePositiveInt)
    .option("--rate <n>", "requests per second per token (default 2000)", parsePositiveInt)
    .option("--burst <n>", "requests at once per token (default 4000)", parsePositiveInt)
    .option("--no-compact", "never request compactions from Temporal (a Schedule or another serve process does)")
    .action(async (opts: ServeOptions) => {
      const [{ TokenTable }, { loadDefinitionsDir }, { startIntakeServer }] = await Promise.all([
        import("../../intake/tokens.js"),
        import("../../definition/load.js"),
        import("../../intake/server.js"),
      ]);
      const config = runtimeConfig();
      const tokens = TokenTable.fromEnv();
      const definitions = await loadDefinitionsDir(config.datasetsDir);
      // A file:// store does not load the AWS SDK.
      const store = config.storeUrl.startsWith("file://")
        ? (await import("../../store/open-file.js")).openFileStore(config.storeUrl)
        : (await import("../../store/open.js")).openStore(config.storeUrl);
      let client: Promise<Client> | undefined;
      const temporal = () => {
        client ??= connectClient(config.temporal).catch((err: unknown) => {
          client = undefined;
          throw err;
        });
        return client;
      };
      const signals = waitForSignal();
      try {
        if (!config.storeUrl.startsWith("file://")) {
          const { checkStoreAtStart } = await import("../../store/conditional-probe.js");
          await checkStoreAtStart(store, (problem) => process.stderr.write(`serve: ${problem}\n`));
        }
        const server = await startIntakeServer(
          { store, definitions, tokens, limits: limitsOf(opts), temporal, taskQueue: config.taskQueue, ledger: ledgerName(opts.ledger), processMetrics: true, compact: opts.compact !== false },
          opts.host,
          opts.port,
        );
        const push = definitions.filter((d) => d.source.push).map((d) => d.id);
        say(`serving on ${server.url} (push datasets: ${push.length ? push.join(", ") : "none"}; ${tokens.size} token${tokens.size === 1 ? "" : "s"}), store ${store.url}`);
        if (tokens.size === 0) say("no TIDEMARK_INGEST_TOKENS: every request will get 401 until tokens are configured.");
        const signal = await signals.received;
        say(`${signal}: finishing requests in flight...`);
        await server.close();
        say("serve stopped.");
      } finally {
        signals.dispose();
        if (client) await client.then((c) => c.connection.close(), () => {}).catch(() => {});
      }
    });
}
