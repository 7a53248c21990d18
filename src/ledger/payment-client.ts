/** Starting and describing payment workflows through a Temporal client (used by the CLI, `tidemark serve` and the demo). */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from "@temporalio/client";
import type { ObjectStore } from "../store/types.js";
import { CurrencyMismatchError, PaymentConflictError, PaymentNotFoundError, WalletNotFoundError } from "./errors.js";
import { paymentWorkflowId, sameParameters, TERMINAL_STATUSES, type PaymentRequest, type PaymentState, type PaymentStatus } from "./payment.js";
import { LedgerStore } from "./store.js";

/** What `payments start` reports. */
export interface StartedPayment {
  payment_id: string;
  workflow_id: string;
  status: PaymentStatus;
  /** False when the payment already existed with the same parameters. */
  started: boolean;
}

function describeParams(p: Partial<PaymentRequest>): string {
  return `${p.amount} ${p.currency} from wallet ${p.wallet} in ledger ${p.ledger}`;
}

/**
 * Starts a payment under `tidemark/payment/<id>` once: the wallet must exist in the payment's currency
 * (checked before anything is started); the same id with the same parameters returns the existing
 * payment, with other parameters throws {@link PaymentConflictError} before anything is started. A
 * payment whose run ended without settling (terminated, timed out, failed) is started again by the
 * same parameters only: the new run finds the deduction already made and asks the gateway before it
 * charges, so the payment settles.
 */
export async function startPayment(client: Client, store: ObjectStore, taskQueue: string, request: PaymentRequest): Promise<StartedPayment> {
  const workflowId = paymentWorkflowId(request.payment_id);
  const memo = { payment_id: request.payment_id, wallet: request.wallet, amount: request.amount, currency: request.currency, ledger: request.ledger };
  const existing = await describePayment(client, request.payment_id).catch((err) => {
    if (err instanceof PaymentNotFoundError) return null;
    throw err;
  });
  if (existing && !sameParameters(existing.request, request)) {
    throw new PaymentConflictError(request.payment_id, describeParams(existing.request), !existing.running && !TERMINAL_STATUSES.includes(existing.status));
  }
  if (!existing) {
    const wallet = await new LedgerStore(store, request.ledger).show(request.wallet);
    if (!wallet) throw new WalletNotFoundError(request.ledger, request.wallet);
    if (wallet.currency !== request.currency) throw new CurrencyMismatchError(request.wallet, wallet.currency, request.currency);
  }
  let started = false;
  try {
    const handle = await client.workflow.start("payment", {
      workflowId, taskQueue, args: [{ ...memo, verify_window: request.verify_window_ms }], memo,
      workflowIdConflictPolicy: "USE_EXISTING", workflowIdReusePolicy: "ALLOW_DUPLICATE_FAILED_ONLY",
    });
    started = existing === null || handle.firstExecutionRunId !== existing.runId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const now = await describePayment(client, request.payment_id);
  if (!sameParameters(now.request, request)) throw new PaymentConflictError(request.payment_id, describeParams(now.request));
  return { payment_id: request.payment_id, workflow_id: workflowId, status: now.status, started };
}

/** A payment's parameters and status from its memo (no worker needed); a payment started without the memo (e.g. by `temporal workflow start`) is asked through its `status` query. */
export async function describePayment(client: Client, paymentId: string): Promise<{ request: PaymentRequest; status: PaymentStatus; runId: string; running: boolean }> {
  try {
    const d = await client.workflow.getHandle(paymentWorkflowId(paymentId)).describe();
    const memo = (d.memo ?? {}) as Partial<PaymentRequest> & { status?: PaymentStatus };
    const sa = d.searchAttributes?.TidemarkPaymentStatus as string[] | undefined;
    const status = (memo.status ?? sa?.[0] ?? (d.status.name === "RUNNING" ? "pending" : "failed")) as PaymentStatus;
    if (memo.payment_id === undefined) {
      const state = await queryPayment(client, paymentId);
      return { request: state, status: state.status, runId: d.runId, running: d.status.name === "RUNNING" };
    }
    return { request: memo as PaymentRequest, status, runId: d.runId, running: d.status.name === "RUNNING" };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new PaymentNotFoundError(paymentId);
    throw err;
  }
}

/** The payment's full state through its `status` query. */
export async function queryPayment(client: Client, paymentId: string): Promise<PaymentState> {
  try {
    return await client.workflow.getHandle(paymentWorkflowId(paymentId)).query<PaymentState>("status");
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new PaymentNotFoundError(paymentId);
    throw err;
  }
}

