import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFromEnv } from "../../src/gateway/from-env";
import { startGatewaySimulator, type GatewaySimulator } from "../../src/gateway/simulator";
import type { LedgerVerifyResult } from "../../src/ledger/invariants";
import { LedgerLayout } from "../../src/ledger/layout";
import { verifyLedgerWorkflowId } from "../../src/ledger/payment";
import { LedgerStore } from "../../src/ledger/store";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

const dir = mkdtempSync(join(tmpdir(), "tidemark-verify-race-"));
const raw = new FsObjectStore(dir);
const LEDGER = "race";
const PAYING = "race-pay";
const headKey = new LedgerLayout(LEDGER).head("w");
const secondHeadKey = new LedgerLayout(PAYING).head("b");
let onHeadRead: (() => Promise<void>) | undefined;
let onSecondHeadRead: (() => Promise<void>) | undefined;
const appendedDuringVerify: number[] = [];

/** The worker's store: the first read of the wallet's head while armed lets another writer append first, as live traffic does. */
const store = new Proxy(raw, {
  get(target, prop, receiver) {
    if (prop !== "get") return Reflect.get(target, prop, receiver) as unknown;
    return async (key: string, ...rest: unknown[]) => {
      if (key === headKey && onHeadRead) {
        const hook = onHeadRead;
        onHeadRead = undefined;
        await hook();
      }
      if (key === secondHeadKey && onSecondHeadRead) {
        const hook = onSecondHeadRead;
        onSecondHeadRead = undefined;
        await hook();
      }
      return (target.get as (k: string, ...r: unknown[]) => ReturnType<ObjectStore["get"]>).call(target, key, ...rest);
    };
  },
});

let client: Client;
let worker: RunningWorker;
let sim: GatewaySimulator;
const taskQueue = uniqueTaskQueue("verifyrace");
beforeAll(async () => {
  sim = await startGatewaySimulator();
  process.env.TIDEMARK_GATEWAY_URL = sim.url;
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: dir, taskQueue, client });
});
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("verifyLedger while a wallet is being written", () => {
  it("does not report a head that moved on during the read as a discrepancy", async () => {
    const writer = new LedgerStore(raw, LEDGER);
    await writer.createWallet("w", "EUR");
    await writer.credit("w", "seed", 1000, "EUR");
    onHeadRead = async () => {
      const r = await new LedgerStore(raw, LEDGER).credit("w", "live", 5, "EUR");
      if (r.status === "applied") appendedDuringVerify.push(r.event.seq);
    };
    const result: LedgerVerifyResult = await client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(LEDGER), taskQueue, args: [{ ledger: LEDGER }] });
    expect(appendedDuringVerify).toEqual([3]);
    expect(result).toMatchObject({ wallets: 1, events: 3, findings: [], totals: [{ currency: "EUR", credits: 1005, balances: 1005 }] });
  });

  it("does not report a payment deducted and charged during the read as a charge without its deduction", async () => {
    const writer = new LedgerStore(raw, PAYING);
    for (const w of ["a", "b"]) {
      await writer.createWallet(w, "EUR");
      await writer.credit(w, "seed", 1000, "EUR");
    }
    const paid: string[] = [];
    onSecondHeadRead = async () => {
      const deducted = await new LedgerStore(raw, PAYING).deduct("a", "live-pay", 100, "EUR");
      const charged = await gatewayFromEnv({ TIDEMARK_GATEWAY_URL: sim.url }).charge({ paymentId: "live-pay", amount: 100, currency: "EUR", ledger: PAYING });
      paid.push(`${deducted.status} ${charged.outcome}`);
    };
    const result: LedgerVerifyResult = await client.workflow.execute("verifyLedger", { workflowId: verifyLedgerWorkflowId(PAYING), taskQueue, args: [{ ledger: PAYING }] });
    expect(paid).toEqual(["applied succeeded"]);
    expect(sim.charges().map((c) => `${c.idempotency_key} ${c.ledger} ${c.status}`)).toEqual([`live-pay ${PAYING} succeeded`]);
    expect(result).toMatchObject({ wallets: 2, chargesChecked: true, findings: [] });
  });
});
