import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { WalletOp } from "../activities/payments";
import type { ChargeOutcome, LookupOutcome } from "../src/gateway/types";
import { MAX_VERIFY_WINDOW_MS, paymentWorkflowId, validatePayment, type PaymentInput, type PaymentState, type PaymentStatus, type ResolveInput } from "../src/ledger/payment";
import { Saga } from "./saga";

// Ledger and gateway steps heartbeat while they wait, so a step on a dead worker is retried after
// the heartbeat timeout instead of its whole start-to-close timeout.
const ledgerSteps = proxyActivities<IngestActivities>({
  startToCloseTimeout: "1m",
  heartbeatTimeout: "10s",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "20s" },
});
const gatewaySteps = proxyActivities<IngestActivities>({
  startToCloseTimeout: "2m",
  heartbeatTimeout: "10s",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "10s", maximumAttempts: 3 },
});

/** The payment as it stands. */
export const statusQuery = defineQuery<PaymentState>("status");
/** A person's answer for a payment in `requires_review`: was it charged? Returns the payment once settled. */
export const resolveUpdate = defineUpdate<PaymentState, [ResolveInput]>("resolve");

/** Longest pause between two verifications of an in-doubt charge. */
const MAX_VERIFY_PAUSE_MS = 30_000;
/** First pause before a refund the ledger refused (e.g. a broken log) is tried again; it doubles up to {@link MAX_REFUND_PAUSE_MS}. */
const REFUND_RETRY_MS = 5_000;
const MAX_REFUND_PAUSE_MS = 10 * 60_000;
/** Patch id of retrying a refused refund: histories recorded before it end `failed` after the refund failed, as they did. */
export const REFUND_RETRY_PATCH = "tidemark-payment-refund-retry";
/**
 * Patch id of asking the gateway about a deduction made before (an earlier attempt or run) ahead of a
 * cancel request: a charge found completes the payment instead of being refunded, and the cancel is
 * honoured only when the gateway answered. Histories recorded before it honour the cancel first, as they did.
 */
export const CANCEL_AFTER_LOOKUP_PATCH = "tidemark-payment-cancel-after-lookup";
/**
 * Patch id of ending a payment whose deduction was made before and whose charge the gateway reports
 * refunded: the wallet is refunded (→ `failed`), as in verification. Histories recorded before it
 * charged again, as they did.
 */
export const REFUNDED_BEFORE_PATCH = "tidemark-payment-refunded-before";
/**
 * Patch id of honouring a cancel of a payment whose deduction was made before only when the gateway
 * reports that earlier charge failed. "Not found" proves nothing: an earlier run's charge may still be
 * in flight, and Stripe's search lags behind its writes; the payment is charged with its idempotency
 * key instead, so it can never be both charged and refunded. Histories recorded before it honoured
 * the cancel on "not found", as they did.
 */
export const CANCEL_ONLY_AFTER_FAILED_PATCH = "tidemark-payment-cancel-only-after-failed";
/**
 * Patch id of verifying an in-doubt charge for at most {@link MAX_VERIFY_WINDOW_MS} (12 h), even when a
 * run was started with a longer `verify_window` by a client that did not check it. Histories recorded
 * before it verified for their whole window, as they did.
 */
export const VERIFY_WINDOW_LIMIT_PATCH = "tidemark-payment-verify-window-limit";

/**
 * One payment (SPEC §12), workflow id `tidemark/payment/<payment_id>`: deduct the wallet (insufficient
 * funds → `declined`), charge the gateway with the payment id as idempotency key (→ `completed`); a
 * definitive gateway failure refunds the wallet (→ `failed`). An in-doubt charge is verified by
 * looking it up — and re-sent with the same parameters only when the gateway has never seen it — until
 * `verify_window`; then `requires_review` until the `resolve` update says whether it was charged.
 * A refund the ledger refuses keeps the payment pending and is retried until it applies.
 * Once started a payment always settles: a cancel request refunds it when it arrives before the charge
 * is sent — for a deduction made before, only once the gateway says the earlier charge failed — and is
 * otherwise ignored (a charge may have happened or be in flight; it is charged with the same
 * idempotency key, and verification and review decide).
 */
export async function payment(input: PaymentInput): Promise<PaymentState> {
  let request;
  try {
    request = validatePayment(input, { windowLimit: false });
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, "PaymentInputError");
  }
  const expectedId = paymentWorkflowId(request.payment_id);
  if (workflowInfo().workflowId !== expectedId) {
    throw ApplicationFailure.nonRetryable(`A payment runs only as workflow ${expectedId} (one workflow per payment id); start it under that id.`, "PaymentInputError");
  }
  const state: PaymentState = { ...request, status: "pending", step: "deduct" };
  const op: WalletOp = { ledger: request.ledger, wallet: request.wallet, payment_id: request.payment_id, amount: request.amount, currency: request.currency };
  const what = `${request.amount} ${request.currency}`;
  const setStatus = (status: PaymentStatus, reason?: string) => {
    state.status = status;
    if (reason !== undefined) state.reason = reason;
    upsertSearchAttributes({ TidemarkPaymentStatus: [status] });
    upsertMemo({ status });
    setCurrentDetails(`**${status}** · ${state.step}${state.reason ? ` · ${state.reason}` : ""}`);
  };
  setHandler(statusQuery, () => state);
  let resolution: ResolveInput | undefined;
  setHandler(
    resolveUpdate,
    async (answer) => {
      resolution = answer;
      await condition(() => state.step === "done");
      return state;
    },
    {
      validator: (answer) => {
        if (typeof answer?.charged !== "boolean") throw new Error('The resolution must say {"charged": true} or {"charged": false}.');
        if (state.status !== "requires_review" || resolution) throw new Error(`Payment ${request.payment_id} is ${state.status}, not waiting for review; there is nothing to resolve.`);
      },
    },
  );
  setStatus("pending");

  const finish = (status: PaymentStatus, reason?: string): PaymentState => {
    state.step = "done";
    setStatus(status, reason);
    return state;
  };

  const root = CancellationScope.current();
  return CancellationScope.nonCancellable(async () => {
    let deducted;
    try {
      deducted = await ledgerSteps.deductWallet.executeWithOptions({ summary: `deduct ${what} from wallet ${request.wallet} for payment ${request.payment_id}` }, [op]);
    } catch (err) {
      if (causeType(err) === "OpConflictError") {
        return finish("failed", `wallet ${request.wallet} already holds a deduction of payment ${request.payment_id} with other parameters, made by an earlier run; nothing more was deducted: start the payment again with its original parameters so it settles, and use a new payment id for this one`);
      }
      return finish("failed", `nothing was deducted: ${rootMessage(err)}`);
    }
    if (deducted.status === "insufficient_funds") return finish("declined", `insufficient funds: wallet ${request.wallet} holds ${deducted.balance} ${request.currency}`);
    if (deducted.status === "already_refunded") {
      return finish("failed", `payment ${request.payment_id} was deducted and refunded by an earlier run (wallet ${request.wallet}, event ${deducted.seq}), so it is not charged again; use a new payment id`);
    }

    const saga = new Saga("the refund is tried again; if the wallet's log is broken, repair it (tidemark ledger verify)");
    const refund = () => ledgerSteps.refundWallet.executeWithOptions({ summary: `undo: refund ${what} to wallet ${request.wallet} for payment ${request.payment_id}` }, [op]);
    saga.add("refundWallet", refund);
    const fail = async (reason: string): Promise<PaymentState> => {
      state.step = "refund";
      for (let round = 0; !(await saga.compensate()).includes("refundWallet") && patched(REFUND_RETRY_PATCH); round++) {
        const pause = Math.min(REFUND_RETRY_MS * 2 ** Math.min(round, 10), MAX_REFUND_PAUSE_MS);
        setStatus("pending", `the refund of ${what} to wallet ${request.wallet} failed; repair the wallet's log ("tidemark ledger verify"): it is tried again in ${pause / 1000} s`);
        await sleep(pause);
        saga.add("refundWallet", refund);
      }
      return finish("failed", reason);
    };
    const complete = (chargeId: string | undefined, reason?: string): PaymentState => {
      saga.clear();
      if (chargeId) state.charge_id = chargeId;
      return finish("completed", reason);
    };

    const cancelled = "cancelled before the charge was sent; the deduction was refunded";
    const lookupFirst = deducted.replayed === true && patched(CANCEL_AFTER_LOOKUP_PATCH);
    if (!lookupFirst && root.consideredCancelled) return fail(cancelled);
    if (deducted.replayed) {
      const earlier = await lookup(op, `look up payment ${request.payment_id} at the gateway before charging: its deduction was made before`);
      if (earlier.outcome === "succeeded") return complete(earlier.chargeId, "charged before (the deduction was made by an earlier attempt or run); not charged again");
      if (earlier.outcome === "refunded" && patched(REFUNDED_BEFORE_PATCH)) return fail("the gateway reports the charge of an earlier attempt or run refunded; not charged again");
      const noCharge = () => earlier.outcome === "failed" || (earlier.outcome === "not_found" && !patched(CANCEL_ONLY_AFTER_FAILED_PATCH));
      if (lookupFirst && root.consideredCancelled && noCharge()) return fail(cancelled);
    }
    state.step = "charge";
    const charged = await charge(op, `charge ${what} at the gateway, idempotency key ${request.payment_id}`);
    if (charged.outcome === "succeeded") return complete(charged.chargeId);
    if (charged.outcome === "declined") return fail(`the gateway declined the charge: ${charged.reason}`);

    state.step = "verify";
    state.reason = `charge in doubt: ${charged.reason}`;
    const windowMs = patched(VERIFY_WINDOW_LIMIT_PATCH) ? Math.min(request.verify_window_ms, MAX_VERIFY_WINDOW_MS) : request.verify_window_ms;
    const deadline = Date.now() + windowMs;
    for (let round = 0; ; round++) {
      const found = await lookup(op, `verify the in-doubt charge of payment ${request.payment_id} (round ${round + 1})`);
      if (found.outcome === "succeeded") return complete(found.chargeId, "verified at the gateway after an in-doubt charge");
      if (found.outcome === "failed") return fail(`the gateway reports the charge failed (${found.reason})`);
      if (found.outcome === "refunded") return fail("the gateway reports the charge refunded");
      if (found.outcome === "not_found") {
        const again = await charge(op, `re-send the charge the gateway never received, same key ${request.payment_id} and parameters`);
        if (again.outcome === "succeeded") return complete(again.chargeId);
        if (again.outcome === "declined") return fail(`the gateway declined the charge: ${again.reason}`);
        state.reason = `charge in doubt: ${again.reason}`;
      } else {
        state.reason = `charge in doubt: ${found.reason}`;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(left, 1000 * 2 ** Math.min(round, 5), MAX_VERIFY_PAUSE_MS));
    }

    state.step = "review";
    setStatus("requires_review", `still unknown after ${windowMs} ms: ${state.reason}; run "tidemark payments resolve ${request.payment_id} --charged|--not-charged"`);
    await condition(() => resolution !== undefined);
    if (resolution!.charged) {
      state.resolution = "charged";
      return complete(undefined, "resolved by review: charged");
    }
    state.resolution = "not_charged";
    return fail("resolved by review: not charged");
  });
}

async function charge(op: WalletOp, summary: string): Promise<ChargeOutcome> {
  try {
    return await gatewaySteps.chargeGateway.executeWithOptions({ summary }, [op]);
  } catch (err) {
    return { outcome: "in_doubt", reason: rootMessage(err) };
  }
}

async function lookup(op: WalletOp, summary: string): Promise<LookupOutcome> {
  try {
    return await gatewaySteps.verifyCharge.executeWithOptions({ summary }, [op]);
  } catch (err) {
    return { outcome: "unknown", reason: rootMessage(err) };
  }
}

/** The type of the application failure that caused `err` (an activity's typed error), if any. */
function causeType(err: unknown): string | undefined {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
  }
  return undefined;
}

function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  let message = String(e?.message ?? err);
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.message && e.message !== "Activity task failed") message = e.message;
    e = e.cause as typeof e;
  }
  return message;
}
