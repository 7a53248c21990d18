import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CurrencyMismatchError, OpConflictError, WalletExistsError, WalletNotFoundError } from "../../src/ledger/errors";
import { checkLedger } from "../../src/ledger/invariants";
import { LedgerLayout } from "../../src/ledger/layout";
import { LedgerStore } from "../../src/ledger/store";
import { StoreAccessDeniedError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { collect, deleteAll, runPrefix } from "../store/conformance-helpers";
import { makeS3Client, services } from "../support/services";

const fsDir = mkdtempSync(join(tmpdir(), "tidemark-ledger-"));
const s3Client = makeS3Client();
const s3Prefix = `ledger-store/${runPrefix()}`;
const s3Store = new S3ObjectStore({ client: s3Client, bucket: services().s3.bucket, prefix: s3Prefix });
afterAll(async () => {
  rmSync(fsDir, { recursive: true, force: true });
  await deleteAll(s3Store, "");
  s3Client.destroy();
});

const backends: Array<[string, ObjectStore]> = [
  ["fs", new FsObjectStore(fsDir)],
  [`s3 ${services().s3.endpoint}`, s3Store],
];

describe.each(backends)("LedgerStore on %s", (_name, store) => {
  it("creates, credits, deducts and refunds, keeping the head equal to the fold", async () => {
    const ledger = new LedgerStore(store, "basic");
    expect((await ledger.createWallet("alice", "EUR")).created).toBe(true);
    expect((await ledger.createWallet("alice", "EUR")).created).toBe(false);
    await expect(ledger.createWallet("alice", "USD")).rejects.toBeInstanceOf(WalletExistsError);
    expect(await ledger.credit("alice", "top-up-1", 1000, "EUR")).toMatchObject({ status: "applied", balance: 1000, replayed: false });
    expect(await ledger.deduct("alice", "p1", 400, "EUR")).toMatchObject({ status: "applied", balance: 600, event: { seq: 3, op_id: "p1:deduct" } });
    expect(await ledger.deduct("alice", "p2", 601, "EUR")).toEqual({ status: "insufficient_funds", balance: 600 });
    expect(await ledger.refund("alice", "p1", 400, "EUR")).toMatchObject({ status: "applied", balance: 1000 });
    const keys = (await collect(store.list(new LedgerLayout("basic").wallet("alice")))).map((o) => o.key.split("/").slice(-2).join("/"));
    expect(keys).toEqual(["events/000000000001.json", "events/000000000002.json", "events/000000000003.json", "events/000000000004.json", "alice/head.json"]);
    expect(await new LedgerStore(store, "basic").show("alice")).toEqual({ ledger: "basic", wallet: "alice", currency: "EUR", balance: 1000, seq: 4 });
    const record = await ledger.readRecord("alice");
    expect(checkLedger([record], null).findings).toEqual([]);
  });

  it("applies a retried op once, from the same or another process, and refuses it with other parameters", async () => {
    const first = new LedgerStore(store, "retry");
    await first.createWallet("bob", "USD");
    await first.credit("bob", "c1", 500, "USD");
    const applied = await first.deduct("bob", "p1", 200, "USD");
    const other = new LedgerStore(store, "retry");
    const again = await other.deduct("bob", "p1", 200, "USD");
    expect(again).toMatchObject({ status: "applied", replayed: true, balance: 300 });
    expect(again.status === "applied" && applied.status === "applied" && again.event).toEqual(applied.status === "applied" && applied.event);
    await expect(other.deduct("bob", "p1", 201, "USD")).rejects.toBeInstanceOf(OpConflictError);
    await expect(other.credit("bob", "c2", 5, "EUR")).rejects.toBeInstanceOf(CurrencyMismatchError);
    await expect(other.credit("nobody", "c2", 5, "USD")).rejects.toBeInstanceOf(WalletNotFoundError);
    expect((await other.readRecord("bob")).events).toHaveLength(3);
  });

  it("lets anyone roll a head that lags behind the events forward", async () => {
    const ledger = new LedgerStore(store, "rollforward");
    await ledger.createWallet("carol", "EUR");
    await ledger.credit("carol", "c1", 70, "EUR");
    const layout = new LedgerLayout("rollforward");
    const stale = await store.get(layout.head("carol"));
    await ledger.credit("carol", "c2", 30, "EUR");
    await store.put(layout.head("carol"), stale.body, { kind: "overwrite" });
    expect(checkLedger([await ledger.readRecord("carol")], null).findings.map((f) => f.check)).toEqual(["head"]);
    expect(await new LedgerStore(store, "rollforward").show("carol")).toMatchObject({ balance: 100, seq: 3 });
    expect(checkLedger([await ledger.readRecord("carol")], null).findings).toEqual([]);
  });

  it("reports a deduction it wrote as applied even when rolling the head forward is refused", async () => {
    const setup = new LedgerStore(store, "headless");
    await setup.createWallet("gail", "EUR");
    await setup.credit("gail", "c1", 100, "EUR");
    const head = new LedgerLayout("headless").head("gail");
    const refused: string[] = [];
    const denying = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== "put") return Reflect.get(target, prop, receiver) as unknown;
        return async (key: string, ...rest: unknown[]) => {
          if (key === head) {
            refused.push(key);
            throw new StoreAccessDeniedError(`put of ${key} denied: the token expired`);
          }
          return (target.put as (k: string, ...r: unknown[]) => ReturnType<ObjectStore["put"]>).call(target, key, ...rest);
        };
      },
    });
    const outcome = await new LedgerStore(denying, "headless").deduct("gail", "p1", 30, "EUR").catch((err: unknown) => err);
    expect(refused).toEqual([head]);
    expect((await setup.readRecord("gail")).events.map((e) => e.op_id)).toEqual(["create", "c1:credit", "p1:deduct"]);
    expect(outcome).toMatchObject({ status: "applied", balance: 70, replayed: false });
    expect(await setup.show("gail")).toMatchObject({ balance: 70, seq: 3 });
  });

  it("under 40 concurrent deducts from separate writers, exactly the affordable ones succeed", async () => {
    const setup = new LedgerStore(store, "contention");
    await setup.createWallet("dave", "EUR");
    await setup.credit("dave", "c1", 1500, "EUR");
    const writers = Array.from({ length: 8 }, () => new LedgerStore(store, "contention"));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => writers[i % writers.length].deduct("dave", `p${i}`, 100, "EUR")));
    const applied = results.filter((r) => r.status === "applied");
    expect(applied).toHaveLength(15);
    expect(results.filter((r) => r.status === "insufficient_funds")).toHaveLength(25);
    const record = await setup.readRecord("dave");
    expect(record.events.map((e) => e.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(new Set(record.events.map((e) => e.op_id)).size).toBe(17);
    expect(checkLedger([record], null).findings).toEqual([]);
    expect(await setup.show("dave")).toMatchObject({ balance: 0, seq: 17 });
  });

  it("a seeded random mix of credits, deducts, refunds and retries from 6 writers conserves money exactly", async () => {
    const setup = new LedgerStore(store, "mix");
    const wallets = ["m1", "m2", "m3"];
    for (const w of wallets) await setup.createWallet(w, "EUR");
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const writers = Array.from({ length: 6 }, () => new LedgerStore(store, "mix"));
    const expected = new Map(wallets.map((w) => [w, 0]));
    const ops = Array.from({ length: 90 }, (_, i) => ({ i, kind: rand(3), wallet: wallets[rand(3)], amount: 1 + rand(200), writer: rand(6), retry: rand(4) === 0 }));
    const deducted = new Map<number, { wallet: string; amount: number }>();
    await Promise.all(Array.from({ length: 6 }, async (_, lane) => {
      for (const op of ops.filter((o) => o.writer === lane)) {
        const ledger = writers[lane];
        const attempts = op.retry ? 2 : 1;
        for (let a = 0; a < attempts; a++) {
          if (op.kind === 0) {
            const r = await ledger.credit(op.wallet, `c${op.i}`, op.amount, "EUR");
            if (r.status === "applied" && !r.replayed) expected.set(op.wallet, expected.get(op.wallet)! + op.amount);
          } else {
            const r = await ledger.deduct(op.wallet, `p${op.i}`, op.amount, "EUR");
            if (r.status === "applied" && !r.replayed) {
              expected.set(op.wallet, expected.get(op.wallet)! - op.amount);
              deducted.set(op.i, { wallet: op.wallet, amount: op.amount });
            }
            if (op.kind === 2 && deducted.has(op.i)) {
              const back = await ledger.refund(op.wallet, `p${op.i}`, op.amount, "EUR");
              if (back.status === "applied" && !back.replayed) expected.set(op.wallet, expected.get(op.wallet)! + op.amount);
            }
          }
        }
      }
    }));
    const records = await Promise.all(wallets.map((w) => setup.readRecord(w)));
    expect(checkLedger(records, null).findings).toEqual([]);
    for (const w of wallets) expect((await setup.show(w))?.balance).toBe(expected.get(w));
    expect(deducted.size).toBeGreaterThan(0);
  });

  it("applies one op raced by several writers exactly once", async () => {
    const setup = new LedgerStore(store, "same-op");
    await setup.createWallet("erin", "EUR");
    await setup.credit("erin", "c1", 100, "EUR");
    const results = await Promise.all(Array.from({ length: 6 }, () => new LedgerStore(store, "same-op").deduct("erin", "p1", 60, "EUR")));
    expect(results.filter((r) => r.status === "applied" && !r.replayed)).toHaveLength(1);
    expect(results.every((r) => r.status === "applied")).toBe(true);
    expect((await setup.readRecord("erin")).events).toHaveLength(3);
  });
});
