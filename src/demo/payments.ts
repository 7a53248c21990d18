import type { WorkflowBundleOption } from "@temporalio/worker";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startPayment } from "../ledger/payment-client";
import { textTable, type Cell } from "../cli/render";
import { waitForSignal } from "../cli/signals";
import { runUrl } from "../config/runtime";
import { startEmbeddedStack } from "../devstack/embedded";
import { startGatewaySimulator } from "../gateway/simulator";
import type { LedgerVerifyResult } from "../ledger/invariants";
import { paymentWorkflowId, verifyLedgerWorkflowId, type PaymentState } from "../ledger/payment";
import { LedgerStore } from "../ledger/store";
import { openStore } from "../store/open";

/** Options of {@link runPaymentsDemo}. */
export interface PaymentsDemoOptions {
  /** Working directory, wiped at start (default `.tidemark/demo-payments`). */
  dir?: string;
  /** Keep the stack and the simulator running after the demo until SIGINT/SIGTERM. */
  keep?: boolean;
  /** Writes one line of output. */
  say?: (line: string) => void;
  /** A pre-built workflow bundle (tests); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Use any free ports instead of preferring 7233/8233 (tests). */
  anyPorts?: boolean;
}

/** What the payments demo did, for callers and tests. */
export interface PaymentsDemoOutcome {
  ledger: string;
  payments: PaymentState[];
  balances: Record<string, number>;
  verify: LedgerVerifyResult;
  uiUrl?: string;
}

const LEDGER = "demo";

/** The demo's payments: what each shows and the simulator fault set on its key. */
export const DEMO_PAYMENTS = [
  { id: "pay-1", wallet: "alice", amount: 2500, shows: "charged once", fault: null },
  { id: "pay-2", wallet: "bob", amount: 800, shows: "bob holds 500 EUR: declined, nothing charged", fault: null },
  { id: "pay-3", wallet: "alice", amount: 1200, shows: "the gateway answers 500: verified failed, refunded to the wallet", fault: "error_500" },
  { id: "pay-4", wallet: "bob", amount: 300, shows: "the gateway charges but never answers: in doubt, verified, completed", fault: "timeout_after_charge" },
  { id: "pay-5", wallet: "alice", amount: 900, shows: "the card is declined at the gateway: refunded to the wallet", fault: "decline" },
] as const;

const CREDITS = { alice: 10_000, bob: 500 } as const;

function eur(minor: number): string {
  return `${minor} EUR`;
}

/**
 * Runs the payments demo: an embedded Temporal dev server and worker, the gateway simulator in this
 * process (its URL set as `TIDEMARK_GATEWAY_URL` for the worker), two wallets and a handful of
 * payments — completed, declined, a gateway failure refunded, an in-doubt charge verified, a card
 * decline refunded — then balances, the gateway's charges, `verifyLedger` and the UI links.
 */
export async function runPaymentsDemo(options: PaymentsDemoOptions = {}): Promise<PaymentsDemoOutcome> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = resolve(options.dir ?? join(".tidemark", "demo-payments"));
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ["store", "datasets"]) mkdirSync(join(dir, sub), { recursive: true });
  const storeUrl = pathToFileURL(join(dir, "store")).href;

  const sim = await startGatewaySimulator({ faults: { hang_ms: 5000, keys: Object.fromEntries(DEMO_PAYMENTS.filter((p) => p.fault).map((p) => [p.id, p.fault!])) } });
  const saved = { url: process.env.TIDEMARK_GATEWAY_URL, timeout: process.env.TIDEMARK_GATEWAY_TIMEOUT_MS };
  process.env.TIDEMARK_GATEWAY_URL = sim.url;
  process.env.TIDEMARK_GATEWAY_TIMEOUT_MS = "1500";
  say(`gateway simulator on ${sim.url}; starting the embedded stack (Temporal dev server + worker)…`);
  try {
    const stack = await startEmbeddedStack({
      port: options.anyPorts ? "any" : "prefer-7233",
      uiPort: options.anyPorts ? "any" : "prefer-8233",
      storeUrl,
      datasetsDir: join(dir, "datasets"),
      workflowBundle: options.workflowBundle,
      logLevel: "ERROR",
      log: (line) => process.stderr.write(`${line}\n`),
    });
    try {
      say(`Temporal ${stack.address}${stack.uiUrl ? `, UI ${stack.uiUrl}` : ""}; store ${storeUrl}`);
      const store = openStore(storeUrl);
      const ledger = new LedgerStore(store, LEDGER);
      say("");
      say("amounts are whole minor units, as everywhere in Tidemark (2500 EUR = 25.00 euros)");
      for (const [wallet, amount] of Object.entries(CREDITS)) {
        await ledger.createWallet(wallet, "EUR");
        await ledger.credit(wallet, "demo-topup", amount, "EUR");
        say(`wallet ${wallet}: credited ${eur(amount)}`);
      }
      say("");
      say("payments (each a workflow tidemark/payment/<id>; deduct → charge with Idempotency-Key <id>):");
      const started = await Promise.all(
        DEMO_PAYMENTS.map(async (p) => {
          await startPayment(stack.client, store, stack.taskQueue, { payment_id: p.id, wallet: p.wallet, amount: p.amount, currency: "EUR", ledger: LEDGER, verify_window_ms: 120_000 });
          const handle = stack.client.workflow.getHandle(paymentWorkflowId(p.id));
          const state = (await handle.result()) as PaymentState;
          const { runId } = await handle.describe();
          return { p, state, runId };
        }),
      );
      const rows: Cell[][] = started.map(({ p, state }) => [p.id, p.wallet, eur(p.amount), state.status, p.shows]);
      for (const line of textTable(["PAYMENT", "WALLET", "AMOUNT", "STATUS", "WHAT HAPPENED"], rows).split("\n")) say(`  ${line}`);
      for (const { p, state } of started) if (state.reason) say(`  ${p.id}: ${state.reason}`);

      say("");
      say("balances:");
      const balances: Record<string, number> = {};
      for (const wallet of Object.keys(CREDITS)) {
        const view = await ledger.show(wallet);
        balances[wallet] = view!.balance;
        say(`  ${wallet}\t${eur(view!.balance)}\tseq ${view!.seq}`);
      }
      say("");
      say(`the gateway's charges (${sim.url}/v1/charges):`);
      for (const c of sim.charges()) say(`  ${c.idempotency_key}\t${eur(c.amount)}\t${c.status}`);
      const verify = (await stack.client.workflow.execute("verifyLedger", {
        workflowId: verifyLedgerWorkflowId(LEDGER), taskQueue: stack.taskQueue, args: [{ ledger: LEDGER }], workflowIdConflictPolicy: "USE_EXISTING",
      })) as LedgerVerifyResult;
      say("");
      say(`ledger verify: ${verify.wallets} wallets, ${verify.events} events, ${verify.findings.length === 0 ? "clean" : `${verify.findings.length} findings`} (money conserved, each payment charged or refunded, never both)`);
      if (stack.uiUrl) {
        say("");
        say(`Temporal UI: ${stack.uiUrl}`);
        for (const { p, runId } of started) say(`  ${p.id}: ${runUrl(stack.uiUrl, stack.namespace, paymentWorkflowId(p.id), runId)}`);
      }
      if (options.keep) {
        const signals = waitForSignal();
        say("");
        say(`the stack keeps running; use the CLI against it with: export TEMPORAL_ADDRESS=${stack.address} TIDEMARK_STORE=${storeUrl} TIDEMARK_LEDGER=${LEDGER}\nCtrl-C stops it.`);
        await signals.received;
        signals.dispose();
        say("stopping…");
      } else {
        say("");
        say('stopping the stack (run "tidemark demo payments --keep" to keep it up and browse the UI).');
      }
      return { ledger: LEDGER, payments: started.map((s) => s.state), balances, verify, uiUrl: stack.uiUrl };
    } finally {
      await stack.stop();
    }
  } finally {
    await sim.close();
    restoreEnv("TIDEMARK_GATEWAY_URL", saved.url);
    restoreEnv("TIDEMARK_GATEWAY_TIMEOUT_MS", saved.timeout);
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
