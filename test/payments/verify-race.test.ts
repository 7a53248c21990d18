import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const headKey = new LedgerLayout(LEDGER).head("w");
let onHeadRead: (() => Promise<void>) | undefined;
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
      return (target.get as (k: string, ...r: unknown[]) => ReturnType<ObjectStore["get"]>).call(target, key, ...rest);
    };
  },
});

let client: Client;
let worker: RunningWorker;
const taskQueue = uniqueTaskQueue("verifyrace");
beforeAll(async () => {
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: dir, taskQueue, client });
});
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
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
});
