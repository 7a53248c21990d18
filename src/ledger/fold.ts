import { CurrencyMismatchError, LedgerCorruptError, OpConflictError, PaymentInputError } from "./errors.js";
import { deductOpId, opIdProblem, refundOpId, sameOperation, type LedgerEvent, type PendingEvent, type WalletDeducted } from "./events.js";

/** A wallet as its events fold to. */
export interface WalletState {
  wallet: string;
  currency: string;
  /** Seq of the last event folded. */
  seq: number;
  balance: number;
  credited: number;
  deducted: number;
  refunded: number;
  /** Every applied op id and its event. */
  ops: Map<string, LedgerEvent>;
}

/**
 * Folds one event onto the state (null before the first); returns the problem instead when the
 * event breaks a rule: seq not next, first event not WalletCreated, op id not its type's, currency,
 * op applied twice, refund without its deduction, balance below zero.
 */
export function applyEvent(state: WalletState | null, event: LedgerEvent): WalletState | string {
  const expected = (state?.seq ?? 0) + 1;
  if (event.seq !== expected) return `event ${event.seq} follows seq ${expected - 1} (expected ${expected})`;
  const badOpId = opIdProblem(event);
  if (badOpId) return badOpId;
  if (state === null) {
    if (event.type !== "WalletCreated") return `event 1 is ${event.type}, not WalletCreated`;
    return { wallet: event.wallet, currency: event.currency, seq: 1, balance: 0, credited: 0, deducted: 0, refunded: 0, ops: new Map([[event.op_id, event]]) };
  }
  if (event.type === "WalletCreated") return `event ${event.seq} creates the wallet again`;
  if (event.currency !== state.currency) return `event ${event.seq} is in ${event.currency}, the wallet in ${state.currency}`;
  if (state.ops.has(event.op_id)) return `event ${event.seq} applies op ${event.op_id} a second time`;
  const next: WalletState = { ...state, seq: event.seq, ops: new Map(state.ops).set(event.op_id, event) };
  if (event.type === "WalletCredited") {
    next.balance += event.amount;
    next.credited += event.amount;
  } else if (event.type === "WalletDeducted") {
    if (event.amount > state.balance) return `event ${event.seq} deducts ${event.amount} from a balance of ${state.balance}`;
    next.balance -= event.amount;
    next.deducted += event.amount;
  } else {
    const deduct = state.ops.get(deductOpId(event.payment_id));
    if (!deduct || deduct.type !== "WalletDeducted" || deduct.amount !== event.amount) {
      return `event ${event.seq} refunds ${event.amount} for payment ${event.payment_id}, which has no deduction of that amount`;
    }
    next.balance += event.amount;
    next.refunded += event.amount;
  }
  return next;
}

/** Result of folding a wallet's whole log. */
export interface FoldResult {
  /** State up to the last event that could be applied (null when none could). */
  state: WalletState | null;
  /** Every rule the log breaks; empty for a sound log. */
  problems: string[];
}

/** Folds events in order, collecting problems instead of stopping at the first (verify reports them all). */
export function foldEvents(events: LedgerEvent[]): FoldResult {
  let state: WalletState | null = null;
  const problems: string[] = [];
  for (const event of events) {
    const next = applyEvent(state, event);
    if (typeof next === "string") problems.push(next);
    else state = next;
  }
  return { state, problems };
}

/** Folds a log that must be sound, throwing {@link LedgerCorruptError} at its first problem. */
export function foldOrThrow(wallet: string, state: WalletState | null, events: LedgerEvent[]): WalletState | null {
  let current = state;
  for (const event of events) {
    const next = applyEvent(current, event);
    if (typeof next === "string") throw new LedgerCorruptError(wallet, next);
    current = next;
  }
  return current;
}

/** What appending an operation to a wallet amounts to. */
export type Decision =
  | { kind: "append"; event: PendingEvent }
  | { kind: "duplicate"; event: LedgerEvent }
  | { kind: "refunded"; event: LedgerEvent }
  | { kind: "insufficient"; balance: number };

/**
 * Decides an operation against the current state: the event to append, the event that already
 * applied it (a retry), a deduction already applied and given back (its payment ended refunded), or
 * insufficient funds for a deduction. Throws for a currency mismatch, an op
 * id reused with other parameters and a refund without its deduction.
 */
export function decide(state: WalletState, op: PendingEvent): Decision {
  const existing = state.ops.get(op.op_id);
  if (existing) {
    if (!sameOperation(existing, op)) throw new OpConflictError(state.wallet, op.op_id);
    if (op.type === "WalletDeducted" && state.ops.has(refundOpId(op.payment_id))) return { kind: "refunded", event: existing };
    return { kind: "duplicate", event: existing };
  }
  if (op.type === "WalletCreated") throw new OpConflictError(state.wallet, op.op_id);
  if (op.currency !== state.currency) throw new CurrencyMismatchError(state.wallet, state.currency, op.currency);
  if (op.type === "WalletDeducted" && op.amount > state.balance) return { kind: "insufficient", balance: state.balance };
  if (op.type === "WalletCredited" && state.balance + op.amount > Number.MAX_SAFE_INTEGER) {
    throw new PaymentInputError(`Crediting ${op.amount} would take wallet "${state.wallet}" past the largest exact balance; credit less.`);
  }
  if (op.type === "WalletRefunded") {
    const deduct = state.ops.get(deductOpId(op.payment_id)) as WalletDeducted | undefined;
    if (!deduct || deduct.amount !== op.amount) {
      throw new PaymentInputError(`Payment ${op.payment_id} has no deduction of ${op.amount} in wallet "${state.wallet}" to refund; check the payment id.`);
    }
  }
  return { kind: "append", event: op };
}
