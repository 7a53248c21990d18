/** Rows of the ledger's read models, folded from one wallet's events (pure). */
import { LedgerCorruptError } from "./errors.js";
import type { LedgerEvent } from "./events.js";
import { applyEvent, type WalletState } from "./fold.js";

/** One row of `ledger.<ledger>.events`. */
export interface EventRow {
  wallet: string;
  seq: number;
  type: LedgerEvent["type"];
  op_id: string;
  payment_id: string | null;
  currency: string;
  /** The event's amount (null for `WalletCreated`). */
  amount: number | null;
  /** What the event did to the balance: +credit, −deduction, +refund, 0 for the creation. */
  change: number;
  /** The balance right after the event. */
  balance: number;
  at: string;
}

/** One row of `ledger.<ledger>.balances`. */
export interface BalanceRow {
  wallet: string;
  currency: string;
  balance: number;
  /** Seq of the last event folded: the balance holds exactly events 1..seq. */
  seq: number;
  credited: number;
  deducted: number;
  refunded: number;
  created_at: string;
  updated_at: string;
}

/** A wallet's events as read-model rows: one row per event, and its balance row (null for a wallet without events). */
export interface WalletRows {
  events: EventRow[];
  balance: BalanceRow | null;
}

/**
 * Folds a wallet's events (in seq order) into its read-model rows; throws {@link LedgerCorruptError}
 * when the log breaks a rule, so nothing is published from a broken ledger.
 */
export function walletRows(wallet: string, events: LedgerEvent[]): WalletRows {
  const rows: EventRow[] = [];
  let state: WalletState | null = null;
  for (const event of events) {
    const next = applyEvent(state, event);
    if (typeof next === "string") throw new LedgerCorruptError(wallet, next);
    if (next.wallet !== wallet) throw new LedgerCorruptError(wallet, `event 1 creates wallet ${next.wallet}, not ${wallet}`);
    const amount = event.type === "WalletCreated" ? null : event.amount;
    rows.push({
      wallet, seq: event.seq, type: event.type, op_id: event.op_id, payment_id: "payment_id" in event ? event.payment_id : null,
      currency: event.currency, amount, change: next.balance - (state?.balance ?? 0), balance: next.balance, at: event.at,
    });
    state = next;
  }
  if (!state) return { events: rows, balance: null };
  const balance: BalanceRow = {
    wallet, currency: state.currency, balance: state.balance, seq: state.seq, credited: state.credited, deducted: state.deducted, refunded: state.refunded,
    created_at: events[0].at, updated_at: events[events.length - 1].at,
  };
  return { events: rows, balance };
}

/** Rows as NDJSON (one object per line, trailing newline; empty for no rows). */
export function ndjson(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
}
