import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { LedgerCorruptError } from "../../src/ledger/errors";
import { LedgerLayout } from "../../src/ledger/layout";
import { ndjson, walletRows } from "../../src/ledger/read-model-rows";
import { openLedgerSource } from "../../src/ledger/read-model-source";
import { readModelDatasetId, readModelDefinition, readModelOf } from "../../src/ledger/read-models";
import { parseLedgerUri } from "../../src/ledger/source-uri";
import { LedgerStore } from "../../src/ledger/store";
import { SourceNotFoundError, UnsupportedSourceError } from "../../src/sources/errors";
import { FsObjectStore } from "../../src/store/fs";
import { Log } from "./fixtures";

describe("walletRows", () => {
  it("gives one row per event with its change and the balance after it, and the folded balance", () => {
    const log = new Log("w1", "EUR").credit(100, "top").deduct("p1", 30).refund("p1", 30).deduct("p2", 50);
    const { events, balance } = walletRows("w1", log.events);
    expect(events.map((e) => [e.seq, e.type, e.amount, e.change, e.balance, e.payment_id])).toEqual([
      [1, "WalletCreated", null, 0, 0, null],
      [2, "WalletCredited", 100, 100, 100, null],
      [3, "WalletDeducted", 30, -30, 70, "p1"],
      [4, "WalletRefunded", 30, 30, 100, "p1"],
      [5, "WalletDeducted", 50, -50, 50, "p2"],
    ]);
    expect(events.every((e) => e.wallet === "w1" && e.currency === "EUR")).toBe(true);
    expect(balance).toEqual({
      wallet: "w1", currency: "EUR", balance: 50, seq: 5, credited: 100, deducted: 80, refunded: 30, created_at: log.events[0].at, updated_at: log.events[4].at,
    });
  });

  it("refuses a broken log instead of publishing it", () => {
    const log = new Log("w1").credit(10);
    log.events[1] = { ...log.events[1], seq: 3 };
    expect(() => walletRows("w1", log.events)).toThrow(LedgerCorruptError);
    const overdrawn = new Log("w2").credit(10).deduct("p", 11);
    expect(() => walletRows("w2", overdrawn.events)).toThrow(/deducts 11 from a balance of 10/);
    expect(() => walletRows("w3", new Log("w1").credit(10).events)).toThrow(/event 1 creates wallet w1, not w3/);
  });

  it("a wallet without events has no balance row; NDJSON is one object per line", () => {
    expect(walletRows("w", [])).toEqual({ events: [], balance: null });
    expect(ndjson([{ a: 1 }, { a: null }])).toBe('{"a":1}\n{"a":null}\n');
    expect(ndjson([])).toBe("");
  });
});

describe("read-model URIs and definitions", () => {
  it("accepts only ledger://<ledger>/events and /balances", () => {
    expect(parseLedgerUri("ledger://default/events")).toEqual({ ledger: "default", model: "events" });
    expect(parseLedgerUri("ledger://main_2.x-y/balances")).toEqual({ ledger: "main_2.x-y", model: "balances" });
    for (const bad of ["ledger:events", "ledger://default/payments", "ledger://Default/events", "ledger://default/events?x=1", "ledger://a/b/events", "ledger:///events", "ledger://../events"]) {
      expect(parseLedgerUri(bad), bad).toMatch(/^is not a ledger read model: use ledger:\/\/<ledger>\/events or ledger:\/\/<ledger>\/balances/);
    }
  });

  it("generates valid definitions: events keyed by wallet+seq partitioned by time, balances a snapshot keyed by wallet", () => {
    const events = readModelDefinition("main", "events");
    expect(events).toMatchObject({ id: "ledger.main.events", mode: "upsert", source: { uri: "ledger://main/events", format: "ndjson" } });
    expect(events.schema).toMatchObject({ key: ["wallet", "seq"], partition_by: "at" });
    const balances = readModelDefinition("main", "balances");
    expect(balances).toMatchObject({ id: "ledger.main.balances", mode: "snapshot", source: { uri: "ledger://main/balances", format: "ndjson" } });
    expect(balances.schema).toMatchObject({ key: ["wallet"], partition_by: "created_at" });
    expect(readModelDatasetId("a".repeat(64), "balances")).toMatch(/^[a-z0-9][a-z0-9_.-]{0,127}$/);
  });

  it("knows the read model a reserved dataset id names, and no other id", () => {
    expect(readModelOf("ledger.default.events")).toEqual({ ledger: "default", model: "events" });
    expect(readModelOf("ledger.a.b-c.balances")).toEqual({ ledger: "a.b-c", model: "balances" });
    for (const other of ["ledger.default.heads", "ledger..events", "ledger_events", "cb_series", "ledger.default"]) expect(readModelOf(other), other).toBeNull();
  });

  it("a definition file with another ledger: URI or format is refused naming the field", () => {
    const text = (uri: string, format = "ndjson") => `id: x\nsource: { uri: "${uri}", format: ${format} }\nschema: { columns: [{ name: wallet, type: string }, { name: at, type: timestamp }], key: [wallet], partition_by: at }\n`;
    expect(parseDefinition(text("ledger://default/events"), "x.yaml").source).toMatchObject({ uri: "ledger://default/events", format: "ndjson" });
    expect(() => parseDefinition(text("ledger://default/secrets"), "x.yaml")).toThrow('x.yaml: source.uri "ledger://default/secrets" is not a ledger read model');
    expect(() => parseDefinition(text("ledger://default/events", "csv"), "x.yaml")).toThrow("x.yaml: source.format must be ndjson for a ledger:// source");
  });
});

describe("openLedgerSource on a file store", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-readmodel-"));
  const store = new FsObjectStore(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function read(uri: string): Promise<string> {
    const { stream } = await openLedgerSource(store, uri);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  it("materializes every wallet in id order, the same bytes for the same ledger", async () => {
    const ledger = new LedgerStore(store, "books");
    await ledger.createWallet("bob", "USD");
    await ledger.createWallet("alice", "EUR");
    await ledger.credit("alice", "c1", 500, "EUR");
    await ledger.deduct("alice", "p1", 200, "EUR");
    await ledger.credit("bob", "c1", 70, "USD");
    const events = (await read("ledger://books/events")).trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => [e.wallet, e.seq, e.type, e.balance])).toEqual([
      ["alice", 1, "WalletCreated", 0], ["alice", 2, "WalletCredited", 500], ["alice", 3, "WalletDeducted", 300],
      ["bob", 1, "WalletCreated", 0], ["bob", 2, "WalletCredited", 70],
    ]);
    const balances = (await read("ledger://books/balances")).trim().split("\n").map((l) => JSON.parse(l));
    expect(balances.map((b) => [b.wallet, b.currency, b.balance, b.seq])).toEqual([["alice", "EUR", 300, 3], ["bob", "USD", 70, 2]]);
    expect(await read("ledger://books/balances")).toBe(await read("ledger://books/balances"));
  });

  it("fails on a wallet whose last event is not JSON instead of publishing the others without it", async () => {
    const ledger = new LedgerStore(store, "garbled");
    await ledger.createWallet("w", "EUR");
    await ledger.credit("w", "c1", 40, "EUR");
    const key = new LedgerLayout("garbled").event("w", 2);
    await store.put(key, "{\"format\":", { kind: "overwrite" });
    await expect(read("ledger://garbled/balances")).rejects.toThrow(new LedgerCorruptError("w", `${key}: not JSON`));
  });

  it("refuses another ledger: URI before reading and an empty ledger with a clear sentence", async () => {
    await expect(openLedgerSource(store, "ledger://books/heads")).rejects.toThrow(UnsupportedSourceError);
    await expect(openLedgerSource(store, "ledger://nobody/events")).rejects.toThrow(SourceNotFoundError);
    await expect(openLedgerSource(store, "ledger://nobody/events")).rejects.toThrow(/^Ledger "nobody" has no wallets, so ledger:\/\/nobody\/events has nothing to publish; create a wallet first/);
  });
});
