import { PaymentInputError } from "./errors.js";
import { requireAmount, requireCurrency, requireLedgerId, requirePaymentId, requireWalletId } from "./ids.js";

/** Where a payment is: `pending` until it ends in one of the others (`requires_review` waits for a person). */
export type PaymentStatus = "pending" | "completed" | "declined" | "failed" | "requires_review";

/** Statuses a payment ends in. */
export const TERMINAL_STATUSES: readonly PaymentStatus[] = ["completed", "declined", "failed"];

/** Ledger used when none is named. */
export const DEFAULT_LEDGER = "default";

/** How long an in-doubt charge is verified before it needs a person, unless the payment says otherwise. */
export const DEFAULT_VERIFY_WINDOW_MS = 5 * 60_000;

/**
 * Longest `verify_window`: a charge still unknown after it waits for review. Gateways forget
 * idempotency keys (Stripe after 24 h), so a re-send later could charge twice, and a verification
 * of 12 h stays far inside a workflow history's event limit.
 */
export const MAX_VERIFY_WINDOW_MS = 12 * 3_600_000;

/** Input of the `payment` workflow (and of `tidemark payments start`). */
export interface PaymentInput {
  payment_id: string;
  wallet: string;
  /** Minor units. */
  amount: number;
  currency: string;
  ledger?: string;
  /** How long an in-doubt charge is verified before `requires_review`: ms, or "90s", "5m", "1h". */
  verify_window?: number | string;
}

/** A validated payment input, every field present. */
export interface PaymentRequest {
  payment_id: string;
  wallet: string;
  amount: number;
  currency: string;
  ledger: string;
  verify_window_ms: number;
}

/** What a payment is and where it stands (`status` query, workflow result). */
export interface PaymentState extends PaymentRequest {
  status: PaymentStatus;
  /** The step running or last run. */
  step: "deduct" | "charge" | "verify" | "review" | "refund" | "done";
  /** Why it ended as it did, or what it waits for. */
  reason?: string;
  /** The gateway's id of the charge, once known. */
  charge_id?: string;
  /** How a review was resolved. */
  resolution?: "charged" | "not_charged";
}

/** Resolution of a payment in `requires_review` (`resolve` update). */
export interface ResolveInput {
  charged: boolean;
}

/** Workflow id of a payment. */
export function paymentWorkflowId(paymentId: string): string {
  return `tidemark/payment/${paymentId}`;
}

/** Workflow id of a ledger verification. */
export function verifyLedgerWorkflowId(ledger: string): string {
  return `tidemark/verify-ledger/${ledger}`;
}

/** Parses a duration (`name` in its messages): a number of ms, or digits with ms, s, m or h; with `limit`, at most {@link MAX_VERIFY_WINDOW_MS}. */
export function parseWindow(value: number | string | undefined, limit = true, name = "verify_window"): number {
  if (value === undefined) return DEFAULT_VERIFY_WINDOW_MS;
  const ms = windowMs(value, name);
  if (limit && ms > MAX_VERIFY_WINDOW_MS) {
    throw new PaymentInputError(`verify_window ${JSON.stringify(value)} is longer than 12h, the longest a gateway is trusted to remember the charge's idempotency key; use at most "12h" (a charge still unknown then waits for review).`);
  }
  return ms;
}

function windowMs(value: number | string, name: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === "string" ? /^(\d{1,9})(ms|s|m|h)$/.exec(value.trim()) : null;
  if (!m) throw new PaymentInputError(`${name} ${JSON.stringify(value)} is invalid: use milliseconds or a duration such as "90s", "5m" or "1h".`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/**
 * Checks every field of a payment input; throws {@link PaymentInputError} with one sentence on the
 * first bad one. `windowLimit: false` (the workflow's own check, which must accept the inputs of runs
 * started before the limit) lets a longer `verify_window` through.
 */
export function validatePayment(input: PaymentInput, { windowLimit = true }: { windowLimit?: boolean } = {}): PaymentRequest {
  if (typeof input !== "object" || input === null) throw new PaymentInputError('The payment input must be an object such as {"payment_id":"pay-1","wallet":"alice","amount":1250,"currency":"EUR"}.');
  return {
    payment_id: requirePaymentId(input.payment_id),
    wallet: requireWalletId(input.wallet),
    amount: requireAmount(input.amount),
    currency: requireCurrency(input.currency),
    ledger: requireLedgerId(input.ledger ?? DEFAULT_LEDGER),
    verify_window_ms: parseWindow(input.verify_window, windowLimit),
  };
}

/** The fields that make two starts of one payment id the same payment. */
export function sameParameters(a: PaymentRequest, b: PaymentRequest): boolean {
  return a.payment_id === b.payment_id && a.wallet === b.wallet && a.amount === b.amount && a.currency === b.currency && a.ledger === b.ledger;
}

/** A payment not terminal after `stuck_after`. */
export interface StuckPayment {
  payment_id: string;
  status: PaymentStatus;
  started_at: string;
  age_ms: number;
}

/** Input of `detectStuckPayments`: payments running longer than `stuck_after` (default 5 min) are reported, and posted to `webhook_url` when set. */
export interface StuckPaymentsInput {
  stuck_after?: number | string;
  webhook_url?: string;
}

const STATUSES_NOT_TERMINAL: readonly PaymentStatus[] = ["pending", "requires_review"];

/**
 * Visibility query of the payments stuck since before `cutoff` (ISO-8601): started before it and
 * still running, or closed (terminated, timed out) while their status was not yet a terminal one.
 */
export function stuckPaymentsQuery(cutoff: string): string {
  const open = STATUSES_NOT_TERMINAL.map((s) => `'${s}'`).join(", ");
  return `WorkflowType = 'payment' AND StartTime < '${cutoff}' AND (ExecutionStatus = 'Running' OR TidemarkPaymentStatus IN (${open}))`;
}

/** Workflow id of the stuck-payment detection. */
export const STUCK_PAYMENTS_WORKFLOW_ID = "tidemark/stuck-payments";

/** How long a payment may run before it counts as stuck, unless the detection says otherwise. */
export const DEFAULT_STUCK_AFTER_MS = 5 * 60_000;

/** Validates the detection's input: a duration (see {@link parseWindow}) and an http(s) webhook URL. */
export function validateStuckInput(input: StuckPaymentsInput | undefined): { stuckAfterMs: number; webhookUrl?: string } {
  const stuckAfterMs = input?.stuck_after === undefined ? DEFAULT_STUCK_AFTER_MS : parseWindow(input.stuck_after, false, "stuck_after");
  const url = input?.webhook_url;
  if (url !== undefined && (typeof url !== "string" || !/^https?:\/\/[^\s@]+$/.test(url))) {
    throw new PaymentInputError(`webhook_url ${JSON.stringify(url)} is invalid: use an http(s) URL without credentials.`);
  }
  return { stuckAfterMs, ...(url ? { webhookUrl: url } : {}) };
}
