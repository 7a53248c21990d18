import { WorkflowNotFoundError, type Client } from "@temporalio/client";
import { gatewayFromEnv } from "../src/gateway/from-env";
import type { ChargeOutcome, Gateway, LookupOutcome } from "../src/gateway/types";
import { chargesOfLedger, checkLedger, strandedFinding, strandedHolder, type GatewayCharge, type LedgerVerifyResult } from "../src/ledger/invariants";
import { LedgerStore } from "../src/ledger/store";
import { paymentWorkflowId, stuckPaymentsQuery, type StuckPayment } from "../src/ledger/payment";
import { TidemarkError } from "../src/errors";
import { activityContext, withKeepAlive } from "./heartbeat";
import type { ActivityDeps } from "./deps";

/** Payment `paymentId`'s workflow as {@link strandedHolder} weighs it: whether it exists, runs, and its status memo. */
async function paymentRun(client: Client, paymentId: string): Promise<[exists: boolean, running: boolean, status: string | undefined]> {
  try {
    const d = await client.workflow.getHandle(paymentWorkflowId(paymentId)).describe();
    const status = (d.memo as { status?: string } | undefined)?.status ?? (d.searchAttributes?.TidemarkPaymentStatus as string[] | undefined)?.[0];
    return [true, d.status.name === "RUNNING", status];
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [false, false, undefined];
    throw err;
  }
}

/** The stuck-payment webhook did not accept the report; retried. */
export class StuckWebhookError extends TidemarkError {
  override readonly retryable = true;
}

/** One payment's ledger operation. */
export interface WalletOp {
  ledger: string;
  wallet: string;
  payment_id: string;
  amount: number;
  currency: string;
}

/** Outcome of {@link paymentActivities} `deductWallet`; `already_refunded`: an earlier run of the payment deducted and refunded it. */
export type DeductOutcome =
  /** `replayed`: the deduction was made before this call (an earlier attempt, or an earlier run of the payment). */
  | { status: "deducted"; balance: number; seq: number; replayed?: boolean }
  | { status: "insufficient_funds"; balance: number }
  | { status: "already_refunded"; balance: number; seq: number };


/** Ledger and gateway activities of the payment saga and of `verifyLedger`. */
export function paymentActivities(deps: ActivityDeps) {
  const ledgers = new Map<string, LedgerStore>();
  const ledgerOf = (name: string) => {
    let l = ledgers.get(name);
    if (!l) ledgers.set(name, (l = new LedgerStore(deps.store, name)));
    return l;
  };
  let gateway: Gateway | undefined;
  const gw = () => (gateway ??= gatewayFromEnv(deps.env ?? process.env));

  return {
    /** Deducts the payment from the wallet once (a retry finds its event), or reports insufficient funds or a deduction refunded before. */
    async deductWallet(op: WalletOp): Promise<DeductOutcome> {
      const r = await withKeepAlive(() => ledgerOf(op.ledger).deduct(op.wallet, op.payment_id, op.amount, op.currency));
      if (r.status === "insufficient_funds") return r;
      if (r.status === "already_refunded") return { status: "already_refunded", balance: r.balance, seq: r.event.seq };
      return { status: "deducted", balance: r.balance, seq: r.event.seq, replayed: r.replayed };
    },

    /** Gives the payment's deduction back once: the compensation of `deductWallet`. */
    async refundWallet(op: WalletOp): Promise<{ balance: number; seq: number }> {
      const r = await withKeepAlive(() => ledgerOf(op.ledger).refund(op.wallet, op.payment_id, op.amount, op.currency));
      if (r.status !== "applied") throw new Error("a refund cannot lack funds");
      return { balance: r.balance, seq: r.event.seq };
    },

    /** Charges the gateway with the payment id as idempotency key; in doubt when the answer is unknown. */
    async chargeGateway(op: WalletOp): Promise<ChargeOutcome> {
      return withKeepAlive(() => gw().charge({ paymentId: op.payment_id, amount: op.amount, currency: op.currency, ledger: op.ledger }));
    },

    /** Asks the gateway what became of the payment in its ledger, never charging; an amount or currency other than the payment's is unknown. */
    async verifyCharge(op: WalletOp): Promise<LookupOutcome> {
      const found = await withKeepAlive(() => gw().retrieve(op.payment_id, op.ledger));
      if (found.outcome === "succeeded" && (found.amount !== op.amount || found.currency !== op.currency)) {
        return { outcome: "unknown", reason: `the gateway holds a charge of ${found.amount} ${found.currency} for this payment, not ${op.amount} ${op.currency}` };
      }
      return found;
    },

    /**
     * Lists payments not settled after `stuckAfterMs` (Temporal visibility, {@link stuckPaymentsQuery}), logs one line
     * per payment and posts the list to `webhookUrl` when set and the list is not empty. A closed run is left out
     * once its payment id was started again: the latest run settles (or is reported for) the payment.
     */
    async reportStuckPayments({ stuckAfterMs, webhookUrl }: { stuckAfterMs: number; webhookUrl?: string }): Promise<StuckPayment[]> {
      if (!deps.temporalClient) throw new TidemarkError("This worker has no Temporal client to list payments with; start it with \"tidemark worker\".");
      const client = deps.temporalClient();
      const now = Date.now();
      const cutoff = new Date(now - stuckAfterMs).toISOString();
      const stuck: StuckPayment[] = [];
      for await (const info of client.workflow.list({ query: stuckPaymentsQuery(cutoff) })) {
        if (info.status.name !== "RUNNING" && (await client.workflow.getHandle(info.workflowId).describe()).runId !== info.runId) continue;
        const memo = (info.memo ?? {}) as { payment_id?: string; status?: StuckPayment["status"] };
        const paymentId = memo.payment_id ?? info.workflowId.replace(/^tidemark\/payment\//, "");
        stuck.push({ payment_id: paymentId, status: memo.status ?? "pending", started_at: info.startTime.toISOString(), age_ms: now - info.startTime.getTime() });
      }
      for (const p of stuck) activityContext()?.log.warn("payment stuck", { ...p });
      deps.metrics?.paymentsStuck.set(stuck.length);
      if (webhookUrl && stuck.length > 0) {
        let res: Response;
        try {
          res = await (deps.fetch ?? fetch)(webhookUrl, {
            method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stuck_after_ms: stuckAfterMs, payments: stuck }), signal: AbortSignal.timeout(10_000),
          });
        } catch (err) {
          throw new StuckWebhookError(`The stuck-payment webhook could not be reached (${(err as Error).message}); it will be retried.`);
        }
        if (!res.ok) throw new StuckWebhookError(`The stuck-payment webhook answered HTTP ${res.status}; it will be retried.`);
      }
      return stuck;
    },

    /**
     * Folds every wallet of the ledger and checks it against its head and the gateway's charges. The
     * charges are listed before any wallet is read: a payment is deducted before it is charged, so each
     * listed charge's deduction is in the events read afterwards.
     */
    async checkLedgerConsistency({ ledger }: { ledger: string }): Promise<LedgerVerifyResult> {
      let charges: GatewayCharge[] | null = null;
      let chargesNotChecked: string | undefined;
      try {
        const list = gw().listCharges;
        if (list) charges = chargesOfLedger(await list(), ledger);
        else chargesNotChecked = `the gateway (${gw().description}) cannot list its charges`;
      } catch (err) {
        chargesNotChecked = (err as Error).message.replace(/\.$/, "");
      }
      const store = ledgerOf(ledger);
      const wallets = await store.listWallets();
      const records = [];
      for (const w of wallets) records.push(await store.readRecord(w));
      const check = checkLedger(records, charges);
      if (deps.temporalClient) {
        const client = deps.temporalClient();
        for (const d of check.openDeductions) {
          const holder = strandedHolder(...(await paymentRun(client, d.payment_id)));
          if (holder) check.findings.push(strandedFinding(ledger, d, holder));
        }
      }
      return { ledger, chargesChecked: charges !== null, ...(chargesNotChecked ? { chargesNotChecked } : {}), ...check };
    },
  };
}
