import { WorkflowNotFoundError } from "@temporalio/client";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { startPayment } from "../../src/ledger/payment-client";
import type { PaymentStatus } from "../../src/ledger/payment";
import { runCli } from "../cli/helpers";
import { lit, openDuck, rows } from "../support/duck";
import { paymentResult, startPaymentBed, type PaymentBed } from "./bed";

/** What the test did to each wallet, kept by the test itself. */
interface Book {
  currency: string;
  balance: number;
  events: number;
}

let bed: PaymentBed;
const books = new Map<string, Book>();

async function createWallet(wallet: string, currency: string): Promise<void> {
  await bed.ledger.createWallet(wallet, currency);
  books.set(wallet, { currency, balance: 0, events: 1 });
}

async function credit(wallet: string, amount: number): Promise<void> {
  const book = books.get(wallet)!;
  await bed.ledger.credit(wallet, bed.id(`c${book.events}`), amount, book.currency);
  book.balance += amount;
  book.events += 1;
}

/**
 * Runs a payment to its end and books it: `completed` keeps the deduction (1 event), `failed` is a
 * deduction and its refund (2 events), `declined` writes nothing. The outcome is what the test set up.
 */
async function pay(label: string, wallet: string, amount: number, expected: PaymentStatus, gatewayFault?: "decline"): Promise<void> {
  const book = books.get(wallet)!;
  const id = bed.id(label);
  if (gatewayFault) bed.sim.setFaults({ keys: { [id]: gatewayFault } });
  await startPayment(bed.client, bed.store, bed.taskQueue, { payment_id: id, wallet, amount, currency: book.currency, ledger: bed.ledgerName, verify_window_ms: 60_000 });
  expect((await paymentResult(bed, id)).status).toBe(expected);
  if (expected === "completed") {
    book.balance -= amount;
    book.events += 1;
  } else if (expected === "failed") book.events += 2;
}

const eventsId = () => `ledger.${bed.ledgerName}.events`;
const balancesId = () => `ledger.${bed.ledgerName}.balances`;

interface Published {
  ledger: string;
  datasets: Array<{ dataset: string; workflowId: string; result: IngestResult }>;
}

async function publish(): Promise<Map<string, IngestResult>> {
  const run = await runCli(["ledger", "publish", "--wait", "--json"], bed.env);
  expect(run.code, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as Published;
  expect(out.ledger).toBe(bed.ledgerName);
  expect(out.datasets.map((d) => d.workflowId)).toEqual([ingestWorkflowId(eventsId()), ingestWorkflowId(balancesId())]);
  return new Map(out.datasets.map((d) => [d.dataset, d.result]));
}

/** Every Parquet file of the current version's `latest` projection, as local paths, from the pointer and manifest alone. */
async function projectionFiles(dataset: string): Promise<string[]> {
  const root = join(bed.storeDir, "datasets", dataset);
  const json = async (key: string) => JSON.parse((await bed.store.get(`datasets/${dataset}/${key}`)).body.toString()) as Record<string, unknown>;
  const pointer = await json("current/manifest.json");
  const manifest = await json(pointer.manifest as string);
  const months = (manifest.projections as Record<string, Record<string, { path?: string; files?: { path: string }[] }>>).latest;
  return Object.values(months).flatMap((m) => (m.files ? m.files.map((f) => f.path) : [m.path!])).map((p) => join(root, p));
}

async function readBack(): Promise<{ balances: Record<string, unknown>[]; events: Record<string, unknown>[] }> {
  const duck = await openDuck();
  try {
    const over = async (dataset: string) => `read_parquet([${(await projectionFiles(dataset)).map(lit).join(", ")}])`;
    const balances = await rows(duck.conn, `SELECT wallet, currency, balance::BIGINT AS balance, seq::BIGINT AS seq FROM ${await over(balancesId())} ORDER BY wallet`);
    const events = await rows(
      duck.conn,
      `SELECT wallet, count(*)::BIGINT AS events, sum("change")::BIGINT AS total, max(seq)::BIGINT AS last, count(DISTINCT seq)::BIGINT AS seqs, count("at")::BIGINT AS timed
       FROM ${await over(eventsId())} GROUP BY wallet ORDER BY wallet`,
    );
    return { balances, events };
  } finally {
    duck.close();
  }
}

/** The balances and per-wallet event counts the test's book says DuckDB must read. */
function expected() {
  const wallets = [...books.keys()].sort();
  const big = (n: number) => BigInt(n);
  return {
    balances: wallets.map((w) => ({ wallet: w, currency: books.get(w)!.currency, balance: big(books.get(w)!.balance), seq: big(books.get(w)!.events) })),
    events: wallets.map((w) => {
      const b = books.get(w)!;
      return { wallet: w, events: big(b.events), total: big(b.balance), last: big(b.events), seqs: big(b.events), timed: big(b.events) };
    }),
  };
}

const totalEvents = () => [...books.values()].reduce((n, b) => n + b.events, 0);

beforeAll(async () => {
  bed = await startPaymentBed("readmodel");
});
afterAll(() => bed?.stop());

describe("ledger read models published through the ingest path, read back with DuckDB", () => {
  it("publishes events and balances, then only what changed, then nothing; a start with only the dataset id uses the generated definition", async () => {
    await createWallet("alice", "EUR");
    await createWallet("bob", "EUR");
    await createWallet("carol", "USD");
    await credit("alice", 10_000);
    await credit("bob", 3_000);
    await credit("carol", 500);
    await pay("p1", "alice", 1_200, "completed");
    await pay("p2", "bob", 5_000, "declined");
    await pay("p3", "carol", 200, "failed", "decline");

    const first = await publish();
    expect(first.get(eventsId())).toMatchObject({ status: "published", parentVersion: null, counts: { inserted: totalEvents(), updated: 0, deleted: 0, rowsTotal: totalEvents() } });
    expect(first.get(balancesId())).toMatchObject({ status: "published", parentVersion: null, counts: { inserted: 3, updated: 0, deleted: 0, rowsTotal: 3 } });
    expect(await readBack()).toEqual(expected());

    const before = totalEvents();
    await pay("p4", "alice", 300, "completed");
    await credit("bob", 6_000);
    await pay("p5", "bob", 5_000, "completed");
    await createWallet("dave", "EUR");
    await credit("dave", 100);
    const second = await publish();
    expect(second.get(eventsId())).toMatchObject({
      status: "published", parentVersion: first.get(eventsId())!.version, counts: { inserted: totalEvents() - before, updated: 0, deleted: 0, rowsTotal: totalEvents() },
    });
    expect(second.get(balancesId())).toMatchObject({
      status: "published", parentVersion: first.get(balancesId())!.version, counts: { inserted: 1, updated: 2, deleted: 0, rowsTotal: 4 },
    });
    expect(await readBack()).toEqual(expected());

    const third = await publish();
    expect([...third.values()].map((r) => r.status)).toEqual(["unchanged", "unchanged"]);

    await pay("p6", "carol", 50, "completed");
    const scheduled = await bed.client.workflow.execute("ingestDataset", { workflowId: `adhoc-${bed.id("balances")}`, taskQueue: bed.taskQueue, args: [{ dataset: balancesId() }] });
    expect(scheduled).toMatchObject({ status: "published", parentVersion: second.get(balancesId())!.version, counts: { inserted: 0, updated: 1, deleted: 0, rowsTotal: 4 } });
    expect((await readBack()).balances).toEqual(expected().balances);
  });

  it("a ledger without wallets is refused before any ingest starts", async () => {
    const run = await runCli(["ledger", "publish", "--ledger", "nobody-here"], bed.env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('tidemark: Ledger "nobody-here" has no wallets, so there is nothing to publish; create a wallet first ("tidemark wallets create") or check --ledger.');
    expect(run.stdout).toBe("");
    await expect(bed.client.workflow.getHandle(ingestWorkflowId("ledger.nobody-here.events")).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
