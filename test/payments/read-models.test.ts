import { WorkflowNotFoundError } from "@temporalio/client";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { startPayment } from "../../src/ledger/payment-client";
import type { PaymentStatus } from "../../src/ledger/payment";
import { LedgerStore } from "../../src/ledger/store";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { runCli } from "../cli/helpers";
import { lit, openDuck, rows } from "../support/duck";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue } from "../support/temporal";
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

/** Every Parquet file of the current version's `latest` projection (dataset-relative paths), from the pointer and manifest alone. */
async function projectionPaths(store: ObjectStore, dataset: string): Promise<string[]> {
  const json = async (key: string) => JSON.parse((await store.get(`datasets/${dataset}/${key}`)).body.toString()) as Record<string, unknown>;
  const pointer = await json("current/manifest.json");
  const manifest = await json(pointer.manifest as string);
  const months = (manifest.projections as Record<string, Record<string, { path?: string; files?: { path: string }[] }>>).latest;
  return Object.values(months).flatMap((m) => (m.files ? m.files.map((f) => f.path) : [m.path!]));
}

async function projectionFiles(dataset: string): Promise<string[]> {
  return (await projectionPaths(bed.store, dataset)).map((p) => join(bed.storeDir, "datasets", dataset, p));
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

    const files = await runCli(["files", balancesId()], bed.env);
    expect(files.code, files.stderr).toBe(0);
    expect(files.stdout.trim().split("\n").sort()).toEqual((await projectionFiles(balancesId())).sort());
    for (const dataset of [eventsId(), balancesId()]) {
      const verify = await runCli(["verify", dataset, "--json"], bed.env);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    }
  });

  it("a publish while an ingest of one read model is running is refused naming that run; neither is started", async () => {
    const eventsRun = (await bed.client.workflow.getHandle(ingestWorkflowId(eventsId())).describe()).runId;
    const holder = await bed.client.workflow.start("ingestDataset", {
      workflowId: ingestWorkflowId(balancesId()), taskQueue: uniqueTaskQueue("nobody-polls"), args: [{ dataset: balancesId() }],
    });
    try {
      const run = await runCli(["ledger", "publish"], bed.env);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `tidemark: Dataset ${balancesId()} is being ingested by workflow ${ingestWorkflowId(balancesId())} run ${holder.firstExecutionRunId}; wait for it with "tidemark status ${balancesId()}" or cancel it with "tidemark cancel ${balancesId()}".`,
      );
      expect(run.stdout).toBe("");
      expect((await bed.client.workflow.getHandle(ingestWorkflowId(eventsId())).describe()).runId).toBe(eventsRun);
    } finally {
      await holder.terminate("test over");
    }
  });

  it("a ledger without wallets is refused before any ingest starts", async () => {
    const run = await runCli(["ledger", "publish", "--ledger", "nobody-here"], bed.env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('tidemark: Ledger "nobody-here" has no wallets, so there is nothing to publish; create a wallet first ("tidemark wallets create") or check --ledger.');
    expect(run.stdout).toBe("");
    await expect(bed.client.workflow.getHandle(ingestWorkflowId("ledger.nobody-here.events")).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe("on MinIO", () => {
  it("publishes the balances of a ledger on an s3:// store, readable by DuckDB from the manifest's files", async () => {
    const { s3: minio, temporal } = services();
    const s3 = makeS3Client();
    const prefix = `readmodel-${Date.now().toString(36)}`;
    const store = new S3ObjectStore({ client: s3, bucket: minio.bucket, prefix });
    const client = await testClient();
    const taskQueue = uniqueTaskQueue("readmodel-s3");
    const worker = await startTestWorker({ store, datasetsDir: tmpdir(), taskQueue, client });
    const local = mkdtempSync(join(tmpdir(), "tidemark-readmodel-s3-"));
    try {
      const ledger = new LedgerStore(store, "books");
      await ledger.createWallet("erin", "EUR");
      await ledger.createWallet("finn", "GBP");
      await ledger.credit("erin", "c1", 900, "EUR");
      await ledger.deduct("erin", "p1", 400, "EUR");
      await ledger.credit("finn", "c1", 60, "GBP");
      const env = {
        TIDEMARK_STORE: `s3://${minio.bucket}/${prefix}`, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue,
        TIDEMARK_LEDGER: "books", AWS_ENDPOINT_URL_S3: minio.endpoint, AWS_REGION: minio.region, AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      };
      const run = await runCli(["ledger", "publish", "--wait", "--json"], env);
      expect(run.code, run.stderr).toBe(0);
      const results = (JSON.parse(run.stdout) as Published).datasets.map((d) => [d.dataset, d.result.status, d.result.counts.rowsTotal]);
      expect(results).toEqual([["ledger.books.events", "published", 5], ["ledger.books.balances", "published", 2]]);
      const files: string[] = [];
      for (const [i, path] of (await projectionPaths(store, "ledger.books.balances")).entries()) {
        files.push(join(local, `b${i}.parquet`));
        writeFileSync(files[i], (await store.get(`datasets/ledger.books.balances/${path}`)).body);
      }
      const duck = await openDuck();
      try {
        const got = await rows(duck.conn, `SELECT wallet, currency, balance::BIGINT AS balance FROM read_parquet([${files.map(lit).join(", ")}]) ORDER BY wallet`);
        expect(got).toEqual([{ wallet: "erin", currency: "EUR", balance: 500n }, { wallet: "finn", currency: "GBP", balance: 60n }]);
      } finally {
        duck.close();
      }
    } finally {
      rmSync(local, { recursive: true, force: true });
      await worker.stop();
      await client.connection.close();
      s3.destroy();
    }
  });
});
