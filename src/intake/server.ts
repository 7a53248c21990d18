/**
 * The intake server of `tidemark serve` (SPEC §11, §12 HTTP API): pushed records into inbox
 * fragments by group commit, the payments API, health, readiness and metrics.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import type { DatasetDefinition } from "../definition/schema.js";
import { TidemarkError } from "../errors.js";
import { redact } from "../observability/redact.js";
import { BacklogTracker } from "./backlog.js";
import { CompactionTrigger } from "./compaction-trigger.js";
import { FragmentIds } from "./fragment-id.js";
import { GroupCommitter } from "./group.js";
import { installErrorHandlers } from "./http.js";
import { IntakeMetrics } from "./metrics.js";
import { DEFAULT_LIMITS, type IntakeLimits, type IntakeServerOptions } from "./options.js";
import { paymentErrorStatus, registerPaymentsApi } from "./payments-api.js";
import { RateLimiter } from "./rate.js";
import { registerRecordsRoute } from "./records-route.js";
import { WriteHealth } from "./write-health.js";
import { SchemaGuard } from "./schema-guard.js";

/** A running intake server. */
export interface IntakeServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly metrics: IntakeMetrics;
  /** Stops accepting, writes and acknowledges every request already received, then closes. */
  close(): Promise<void>;
}

/** The server could not listen on its `--host`/`--port` (port taken, address not of this machine, privileged port). */
export class ServeListenError extends TidemarkError {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The {@link ServeListenError} a failed `listen` on `host:port` means, or `err` itself when its code is none of the known ones. */
export function listenFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "EADDRINUSE":
      return new ServeListenError(code, `Port ${port} on ${host} is in use; stop what holds it or pass another --port.`, { cause: err });
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new ServeListenError(code, `--host ${host} is not an address of this machine; pass one it has, e.g. 127.0.0.1.`, { cause: err });
    case "EACCES":
      return new ServeListenError(code, `Port ${port} on ${host} needs privileges this process lacks; pass a --port above 1023.`, { cause: err });
    default:
      return err;
  }
}

interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

function writeWarning(line: string): void {
  process.stderr.write(`serve: ${line}\n`);
}

async function readiness(opts: IntakeServerOptions, pushIds: string[], backlog: BacklogTracker, limits: IntakeLimits, defs: Map<string, DatasetDefinition>, health: WriteHealth): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const probe = `intake/ready/${randomBytes(6).toString("hex")}`;
  try {
    await opts.store.put(probe, "ok", { kind: "overwrite" });
    await opts.store.delete(probe);
    const failing = health.failures();
    checks.store = failing.length === 0 ? "ok" : `fragment writes fail (${failing.join("; ")})`;
  } catch (err) {
    checks.store = `not writable: ${(err as Error).message}`;
  }
  try {
    const client = await opts.temporal();
    await client.workflowService.getSystemInfo({});
    checks.temporal = "ok";
  } catch (err) {
    checks.temporal = `not reachable: ${(err as Error).message}`;
  }
  const over = pushIds.filter((id) => backlog.get(id).bytes >= (defs.get(id)!.source.push!.max_backlog_bytes ?? limits.maxBacklogBytes));
  checks.backlog = over.length === 0 ? "ok" : `over its bound: ${over.join(", ")}`;
  return { ready: Object.values(checks).every((c) => c === "ok"), checks };
}

/** Builds the server and listens on `host:port` (port 0: any free port). */
export async function startIntakeServer(opts: IntakeServerOptions, host: string, port: number): Promise<IntakeServer> {
  const limits: IntakeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const metrics = new IntakeMetrics({ processMetrics: opts.processMetrics });
  const definitions = new Map(opts.definitions.map((d) => [d.id, d]));
  const pushIds = opts.definitions.filter((d) => d.source.push).map((d) => d.id);
  const backlog = new BacklogTracker(opts.store);
  const ids = new FragmentIds();
  const trigger = opts.compact === false ? null : new CompactionTrigger({ temporal: opts.temporal, taskQueue: opts.taskQueue, onRequest: (dataset, outcome) => metrics.compactionRequests.inc({ dataset, outcome }) });
  const pokeAll = () => {
    for (const id of pushIds) trigger?.poke(definitions.get(id)!, backlog.get(id));
  };
  const health = new WriteHealth();
  const warn = (line: string | null) => {
    if (line) (opts.warn ?? writeWarning)(line);
  };
  const committers = new Map<string, GroupCommitter>();
  const committer = (datasetId: string): GroupCommitter => {
    let c = committers.get(datasetId);
    if (!c) {
      c = new GroupCommitter({
        store: opts.store, datasetId, ids, orderAfterInbox: !opts.store.url.startsWith("file:"), delayMs: limits.groupDelayMs, maxGroupBytes: limits.maxGroupBytes, maxInflightBytes: limits.maxInflightBytes, maxWrites: limits.maxWrites,
        onPending: (n) => metrics.pendingRecords.set({ dataset: datasetId }, n),
        onFailed: (err) => warn(health.failed(datasetId, redact(err instanceof Error ? err.message : String(err)), Date.now())),
        onWritten: (f) => {
          warn(health.written(datasetId, Date.now()));
          backlog.added(datasetId, f.bytes, new Date());
          trigger?.written(datasetId);
          trigger?.poke(definitions.get(datasetId)!, backlog.get(datasetId));
          metrics.groupRecords.observe({ dataset: datasetId }, f.records);
          metrics.groupRequests.observe({ dataset: datasetId }, f.requests);
        },
      });
      committers.set(datasetId, c);
    }
    return c;
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: limits.maxBodyBytes, forceCloseConnections: "idle", return503OnClosing: true });
  app.addHook("onResponse", (req, reply, done) => {
    metrics.latency.observe({ route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  installErrorHandlers(app, metrics, limits.maxBodyBytes, paymentErrorStatus);
  registerRecordsRoute(app, { definitions, tokens: opts.tokens, rate: new RateLimiter(limits.ratePerSecond, limits.rateBurst), limits, metrics, backlog, committer, schema: new SchemaGuard(opts.store) });
  registerPaymentsApi(app, { store: opts.store, tokens: opts.tokens, ledger: opts.ledger, taskQueue: opts.taskQueue, temporal: opts.temporal });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = await readiness(opts, pushIds, backlog, limits, definitions, health);
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get("/metrics", async (_req, reply) => {
    for (const id of pushIds) {
      const b = backlog.get(id);
      metrics.backlogBytes.set({ dataset: id }, b.bytes);
      metrics.backlogFragments.set({ dataset: id }, b.fragments);
      metrics.backlogOldestAge.set({ dataset: id }, b.oldest ? Math.max(0, (Date.now() - b.oldest.getTime()) / 1000) : 0);
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.addHook("preClose", async () => {
    await Promise.all([...committers.values()].map((c) => c.drain()));
  });

  const bound = (id: string) => definitions.get(id)!.source.push!.max_backlog_bytes ?? limits.maxBacklogBytes;
  await backlog.start(pushIds, limits.backlogRefreshMs, () => pushIds.some((id) => backlog.get(id).bytes >= bound(id)));
  // Loading the Temporal client blocks the event loop for about a second: done before listening, so the first compaction request stalls no record.
  if (trigger && pushIds.length > 0) await import("@temporalio/client");
  const ticker = trigger ? setInterval(pokeAll, 500) : null;
  ticker?.unref();
  try {
    await app.listen({ host, port });
  } catch (err) {
    backlog.stop();
    if (ticker) clearInterval(ticker);
    await app.close().catch(() => {});
    await trigger?.drain();
    throw listenFailure(err, host, port);
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    metrics,
    async close() {
      backlog.stop();
      if (ticker) clearInterval(ticker);
      await app.close();
      await Promise.all([...committers.values()].map((c) => c.drain()));
      await trigger?.drain();
    },
  };
}
