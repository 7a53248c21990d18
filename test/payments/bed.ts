import type { Client } from "@temporalio/client";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startGatewaySimulator, type GatewaySimulator } from "../../src/gateway/simulator";
import { paymentWorkflowId, type PaymentState } from "../../src/ledger/payment";
import { LedgerStore } from "../../src/ledger/store";
import type { TidemarkMetrics } from "../../src/observability/metrics";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

/** A worker, a gateway simulator, a file store and a ledger of their own for one test file. */
export interface PaymentBed {
  client: Client;
  sim: GatewaySimulator;
  store: FsObjectStore;
  storeDir: string;
  ledgerName: string;
  ledger: LedgerStore;
  taskQueue: string;
  /** Environment for CLI runs against this bed. */
  env: Record<string, string>;
  /** A payment id unique to this run. */
  id(label: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the bed. The worker's activities build their gateway from `process.env` on first use, so
 * `TIDEMARK_GATEWAY_URL` (this file's simulator) and a short gateway timeout are set before it starts.
 */
export async function startPaymentBed(label: string, faults?: (point: string) => void | Promise<void>, metrics?: TidemarkMetrics): Promise<PaymentBed> {
  const dir = mkdtempSync(join(tmpdir(), `tidemark-pay-${label}-`));
  const store = new FsObjectStore(dir);
  const sim = await startGatewaySimulator();
  process.env.TIDEMARK_GATEWAY_URL = sim.url;
  process.env.TIDEMARK_GATEWAY_TIMEOUT_MS = "1500";
  const client = await testClient();
  const taskQueue = uniqueTaskQueue(label);
  const worker: RunningWorker = await startTestWorker({ store, datasetsDir: dir, taskQueue, client, faults, metrics });
  const run = randomBytes(3).toString("hex");
  const ledgerName = `${label}-${run}`;
  const { temporal } = services();
  return {
    client, sim, store, storeDir: dir, ledgerName, ledger: new LedgerStore(store, ledgerName), taskQueue,
    env: { TIDEMARK_STORE: pathToFileURL(dir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue, TIDEMARK_LEDGER: ledgerName },
    id: (l) => `${l}-${run}`,
    async stop() {
      await worker.stop();
      await client.connection.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The payment's final state (its workflow result). */
export function paymentResult(bed: PaymentBed, paymentId: string): Promise<PaymentState> {
  return bed.client.workflow.getHandle(paymentWorkflowId(paymentId)).result();
}

/** Polls the payment's `status` query until `status` (or the predicate) holds, bounded by `timeoutMs`; returns the state. */
export async function waitForStatus(bed: PaymentBed, paymentId: string, status: PaymentState["status"] | ((s: PaymentState) => boolean), timeoutMs = 60_000): Promise<PaymentState> {
  const handle = bed.client.workflow.getHandle(paymentWorkflowId(paymentId));
  const until = Date.now() + timeoutMs;
  const holds = typeof status === "function" ? status : (s: PaymentState) => s.status === status;
  for (;;) {
    const state = await handle.query<PaymentState>("status");
    if (holds(state)) return state;
    if (Date.now() > until) throw new Error(`payment ${paymentId} is still ${state.status} (${state.reason ?? ""}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
