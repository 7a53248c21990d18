import { WorkflowNotFoundError } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect } from "../store/conformance-helpers";
import { runCli } from "../cli/helpers";
import { startPayment } from "../../src/ledger/payment-client";
import { paymentWorkflowId, validatePayment } from "../../src/ledger/payment";
import { paymentResult, startPaymentBed, waitForStatus, type PaymentBed } from "./bed";

let bed: PaymentBed;
let done: string;
beforeAll(async () => {
  bed = await startPaymentBed("paybad");
  const created = await runCli(["wallets", "create", "alice", "--currency", "eur", "--json"], bed.env);
  expect(created.code, created.stderr).toBe(0);
  expect(JSON.parse(created.stdout)).toEqual({ ledger: bed.ledgerName, wallet: "alice", currency: "EUR", balance: 0, seq: 1, created: true });
  for (let i = 0; i < 2; i++) {
    const credit = await runCli(["wallets", "credit", "alice", "5000", "--op-id", "seed", "--json"], bed.env);
    expect(credit.code, credit.stderr).toBe(0);
    expect(JSON.parse(credit.stdout)).toMatchObject({ op_id: "seed", amount: 5000, currency: "EUR", balance: 5000, replayed: i === 1 });
  }
  done = bed.id("done");
  const run = await runCli(["payments", "start", done, "--wallet", "alice", "--amount", "100", "--currency", "EUR", "--wait", "--json"], bed.env);
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ payment_id: done, status: "completed", amount: 100, wallet: "alice" });
});
afterAll(() => bed?.stop());

async function snapshot(): Promise<string[]> {
  return (await collect(bed.store.list(""))).map((o) => `${o.key} ${o.size} ${o.etag}`);
}

const fresh = () => bed.id(`new${Math.random().toString(36).slice(2, 8)}`);
const start = (id: string, ...extra: string[]) => ["payments", "start", id, "--wallet", "alice", "--amount", "100", "--currency", "EUR", ...extra];
const cases: Array<[string, () => string[], RegExp]> = [
  ["zero amount", () => start(fresh(), "--amount", "0"), /^Amount "0" is invalid/],
  ["negative amount", () => start(fresh(), "--amount=-5"), /^Amount "-5" is invalid/],
  ["fractional amount", () => start(fresh(), "--amount", "12.50"), /^Amount "12.50" is invalid: use a positive whole number of minor units/],
  ["huge amount", () => start(fresh(), "--amount", "9999999999999999"), /^Amount "9999999999999999" is invalid: .* no larger than 1000000000000, e\.g\. 1250 for 12\.50\.$/],
  ["unknown wallet", () => start(fresh(), "--wallet", "nobody"), /^Wallet "nobody" does not exist in ledger "paybad-\w+"; create it first/],
  ["currency mismatch", () => start(fresh(), "--currency", "USD"), /^Wallet "alice" holds EUR, not USD; use the wallet's currency\.$/],
  ["malformed currency", () => start(fresh(), "--currency", "EURO"), /^Currency "EURO" is invalid/],
  ["invalid payment id", () => start("pay/../1"), /^Payment id "pay\/..\/1" is invalid/],
  ["invalid wallet id", () => start(fresh(), "--wallet", "Alice!"), /^Wallet id "Alice!" is invalid/],
  ["invalid ledger id", () => start(fresh(), "--ledger", "Main Ledger"), /^Ledger id "Main Ledger" is invalid/],
  ["invalid verify window", () => start(fresh(), "--verify-window", "soon"), /^verify_window "soon" is invalid/],
  ["reused payment id, other amount", () => start(done, "--amount", "101"), /^Payment "done-\w+" already exists with other parameters \(100 EUR from wallet alice/],
  ["reused payment id, other wallet", () => ["payments", "start", done, "--wallet", "bob", "--amount", "100", "--currency", "EUR"], /already exists with other parameters/],
  ["credit of zero", () => ["wallets", "credit", "alice", "0"], /^Amount "0" is invalid/],
  ["credit to an unknown wallet", () => ["wallets", "credit", "ghost", "10"], /^Wallet "ghost" does not exist/],
  ["credit in another currency", () => ["wallets", "credit", "alice", "10", "--currency", "USD"], /^Wallet "alice" holds EUR, not USD/],
  ["wallet created again in another currency", () => ["wallets", "create", "alice", "--currency", "USD"], /^Wallet "alice" already exists with currency EUR/],
  ["resolve a payment that is not in review", () => ["payments", "resolve", done, "--charged"], /already finished|not waiting for review/],
  ["show an unknown payment", () => ["payments", "show", fresh()], /^Payment "new\w+-\w+" does not exist/],
];

describe("CLI happy paths", () => {
  it("wallets show, payments show and a repeated start print the same payment", async () => {
    const show = await runCli(["wallets", "show", "alice"], bed.env);
    expect(show.stdout.trim()).toBe(`alice\t4900 EUR\tseq 3\tledger ${bed.ledgerName}`);
    const payment = await runCli(["payments", "show", done, "--json"], bed.env);
    expect(JSON.parse(payment.stdout)).toMatchObject({ payment_id: done, status: "completed", step: "done", ledger: bed.ledgerName });
    const again = await runCli(["payments", "start", done, "--wallet", "alice", "--amount", "100", "--currency", "EUR"], bed.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(`payment ${done} already exists: completed (workflow tidemark/payment/${done})`);
  });
});

describe("bad input through the CLI: one sentence, exit 1, nothing written", () => {
  it.each(cases)("%s", async (_name, args, message) => {
    const argv = args();
    const before = await snapshot();
    const run = await runCli(argv, bed.env);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const text = run.stderr.trim();
    expect(text).toMatch(/^tidemark: [^\n]+[.)]$/);
    expect(text.replace(/^tidemark: /, "")).toMatch(message);
    expect(run.stdout).toBe("");
    expect(await snapshot()).toEqual(before);
    if (argv[0] === "payments" && argv[1] === "start" && argv[2] !== done) {
      await expect(bed.client.workflow.getHandle(paymentWorkflowId(argv[2])).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  });

  it("the refused inputs left the earlier payment and the wallet as they were", async () => {
    expect(await bed.ledger.show("alice")).toMatchObject({ balance: 4900, seq: 3 });
    expect(bed.sim.charges().map((c) => c.idempotency_key)).toEqual([done]);
  });
});

describe("payments list", () => {
  it("shows a payment id once, as its latest run, after a terminated run of it was started again", async () => {
    await bed.ledger.createWallet("bob", "EUR");
    await bed.ledger.credit("bob", "seed", 1000, "EUR");
    const id = bed.id("relisted");
    const handle = bed.client.workflow.getHandle(paymentWorkflowId(id));
    bed.sim.setFaults({ outage: true });
    try {
      await startPayment(bed.client, bed.store, bed.taskQueue, validatePayment({ payment_id: id, wallet: "bob", amount: 100, currency: "EUR", ledger: bed.ledgerName, verify_window: "1h" }));
      await waitForStatus(bed, id, (s) => s.step === "verify");
      await handle.terminate("test: an operator terminates the payment");
    } finally {
      bed.sim.setFaults({ outage: false });
    }
    await bed.client.workflow.start("payment", { workflowId: paymentWorkflowId(id), taskQueue: bed.taskQueue, args: [{ payment_id: id, wallet: "bob", amount: 100, currency: "EUR", ledger: bed.ledgerName }] });
    expect(await paymentResult(bed, id)).toMatchObject({ status: "completed" });
    const until = Date.now() + 30_000;
    let runs: string[] = [];
    do {
      runs = [];
      for await (const info of bed.client.workflow.list({ query: `WorkflowId = '${paymentWorkflowId(id)}'` })) runs.push(`${info.status.name} ${(info.memo as { status?: string } | undefined)?.status}`);
    } while (!runs.includes("COMPLETED completed") && Date.now() < until && (await new Promise((r) => setTimeout(r, 250)), true));
    expect(runs.sort()).toEqual(["COMPLETED completed", "TERMINATED pending"]);

    const all = await runCli(["payments", "list", "--limit", "1000", "--json"], bed.env);
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as Array<{ payment_id: string; status: string }>).filter((r) => r.payment_id === id).map((r) => r.status)).toEqual(["completed"]);
    const pending = await runCli(["payments", "list", "--status", "pending", "--limit", "1000", "--json"], bed.env);
    expect(pending.code, pending.stderr).toBe(0);
    expect((JSON.parse(pending.stdout) as Array<{ payment_id: string }>).filter((r) => r.payment_id === id)).toEqual([]);
  });
});
