import type { LedgerEvent } from "./events.js";
import { foldEvents } from "./fold.js";
import { TERMINAL_STATUSES } from "./payment.js";

/** A wallet's head snapshot as stored. */
export interface WalletHead {
  seq: number;
  balance: number;
}

/** What verify reads of one wallet. */
export interface WalletRecord {
  wallet: string;
  /** The events that could be read, in seq order. */
  events: LedgerEvent[];
  head: WalletHead | null;
  /** Objects of the wallet that could not be read as an event or a head (left out of `events` / `head`). */
  unreadable?: Array<{ check: "events" | "head"; problem: string }>;
}

/** One gateway charge as the gateway lists it. */
export interface GatewayCharge {
  idempotency_key: string;
  amount: number;
  currency: string;
  status: "succeeded" | "failed" | "refunded";
  /** The ledger of the payment charged, when the charge records it (charges made by Tidemark do). */
  ledger?: string;
}

/** The charges that may belong to `ledger`: those recording it, and those recording no ledger at all. */
export function chargesOfLedger(charges: GatewayCharge[], ledger: string): GatewayCharge[] {
  return charges.filter((c) => c.ledger === undefined || c.ledger === ledger);
}

/** One discrepancy: which check, which object, what is wrong. */
export interface LedgerFinding {
  check: "events" | "head" | "charge" | "conservation" | "stranded";
  object: string;
  problem: string;
}

/** Money totals of a ledger, in minor units (one currency per wallet; totals are per currency). */
export interface LedgerTotals {
  currency: string;
  credits: number;
  charged: number;
  open: number;
  balances: number;
}

/** A deduction neither charged at the gateway nor refunded: a payment in progress, or one no run will settle. */
export interface OpenDeduction {
  payment_id: string;
  wallet: string;
  amount: number;
  currency: string;
}

/** Result of {@link checkLedger}. */
export interface LedgerCheck {
  wallets: number;
  events: number;
  findings: LedgerFinding[];
  totals: LedgerTotals[];
  /** The open deductions, when the gateway's charges were known (without them a charged deduction cannot be told from an open one). */
  openDeductions: OpenDeduction[];
}

/** Why no payment run will settle an open deduction: its workflow is gone (retention), or its last run closed unsettled. */
export type StrandedHolder = "missing" | "unsettled";

/**
 * Whether an open deduction's payment run will settle it: null while the run is running or when it
 * closed settled (its charge came after the gateway's charges were listed), else why not.
 * `exists: false`: Temporal holds no workflow of the payment.
 */
export function strandedHolder(exists: boolean, running: boolean, status: string | undefined): StrandedHolder | null {
  if (!exists) return "missing";
  if (running) return null;
  return (TERMINAL_STATUSES as readonly string[]).includes(status ?? "") ? null : "unsettled";
}

/** The finding of an open deduction no payment run will settle, with the command that settles it. */
export function strandedFinding(ledger: string, d: OpenDeduction, holder: StrandedHolder): LedgerFinding {
  const why = holder === "missing" ? "no payment workflow holds it (its run was deleted, e.g. by retention)" : "its payment's last run ended before it settled";
  const start = `tidemark payments start ${d.payment_id} --wallet ${d.wallet} --amount ${d.amount} --currency ${d.currency} --ledger ${ledger}`;
  return { check: "stranded", object: d.payment_id, problem: `${d.amount} ${d.currency} deducted from ${d.wallet} is neither charged nor refunded, and ${why}; start the payment again with its parameters ("${start}") so it settles` };
}

interface Deduct {
  wallet: string;
  amount: number;
  currency: string;
  refunded: boolean;
}

/**
 * Checks a whole ledger: every wallet's events fold without breaking a rule and their fold equals
 * the head (a head without events is reported too); with the gateway's charges (null when the
 * gateway cannot list them), no payment is both charged and refunded or charged more than once,
 * nothing is charged without a deduction of the same amount, and per currency credits − charged −
 * open deductions = Σ balances.
 */
export function checkLedger(records: WalletRecord[], charges: GatewayCharge[] | null): LedgerCheck {
  const findings: LedgerFinding[] = [];
  const deducts = new Map<string, Deduct>();
  const totals = new Map<string, LedgerTotals>();
  let events = 0;
  for (const { wallet, events: log, head, unreadable = [] } of records) {
    events += log.length;
    for (const { check, problem } of unreadable) findings.push({ check, object: wallet, problem });
    const { state, problems } = foldEvents(log);
    if (state && state.wallet !== wallet) problems.unshift(`event 1 creates wallet ${state.wallet}, not ${wallet}`);
    for (const problem of problems) findings.push({ check: "events", object: wallet, problem });
    if (!state) {
      if (head && log.length === 0) findings.push({ check: "head", object: wallet, problem: `head says seq ${head.seq}, balance ${head.balance}, but the wallet has no events` });
      continue;
    }
    if (!head) {
      if (!unreadable.some((u) => u.check === "head")) findings.push({ check: "head", object: wallet, problem: `head.json is missing; the events fold to seq ${state.seq}, balance ${state.balance}` });
    } else if (head.seq !== state.seq || head.balance !== state.balance) {
      findings.push({ check: "head", object: wallet, problem: `head says seq ${head.seq}, balance ${head.balance}; the events fold to seq ${state.seq}, balance ${state.balance}` });
    }
    const t = totals.get(state.currency) ?? { currency: state.currency, credits: 0, charged: 0, open: 0, balances: 0 };
    t.credits += state.credited;
    t.balances += state.balance;
    totals.set(state.currency, t);
    for (const e of state.ops.values()) {
      if (e.type !== "WalletDeducted") continue;
      if (deducts.has(e.payment_id)) findings.push({ check: "events", object: wallet, problem: `payment ${e.payment_id} is deducted in wallets ${deducts.get(e.payment_id)!.wallet} and ${wallet}` });
      const refunded = [...state.ops.values()].some((r) => r.type === "WalletRefunded" && r.payment_id === e.payment_id);
      deducts.set(e.payment_id, { wallet, amount: e.amount, currency: e.currency, refunded });
    }
  }
  const charged = new Set<string>();
  const times = new Map<string, number>();
  for (const c of charges ?? []) {
    if (c.status !== "succeeded") continue;
    const d = deducts.get(c.idempotency_key);
    if (!d) {
      findings.push({ check: "charge", object: c.idempotency_key, problem: `charged ${c.amount} ${c.currency} at the gateway without a deduction in any wallet` });
      continue;
    }
    if (charged.has(c.idempotency_key)) {
      times.set(c.idempotency_key, (times.get(c.idempotency_key) ?? 1) + 1);
      continue;
    }
    if (d.amount !== c.amount || d.currency !== c.currency.toUpperCase()) {
      findings.push({ check: "charge", object: c.idempotency_key, problem: `charged ${c.amount} ${c.currency} but deducted ${d.amount} ${d.currency} from ${d.wallet}` });
    }
    if (d.refunded) findings.push({ check: "charge", object: c.idempotency_key, problem: `both charged at the gateway and refunded to ${d.wallet}` });
    charged.add(c.idempotency_key);
  }
  for (const [paymentId, count] of times) {
    const d = deducts.get(paymentId)!;
    findings.push({ check: "charge", object: paymentId, problem: `charged ${count} times at the gateway for its one deduction of ${d.amount} ${d.currency} from ${d.wallet}` });
  }
  const openDeductions: OpenDeduction[] = [];
  for (const [paymentId, d] of deducts) {
    const t = totals.get(d.currency)!;
    if (charges !== null && charged.has(paymentId)) t.charged += d.amount;
    else if (!d.refunded) {
      t.open += d.amount;
      if (charges !== null) openDeductions.push({ payment_id: paymentId, wallet: d.wallet, amount: d.amount, currency: d.currency });
    }
  }
  for (const t of totals.values()) {
    if (t.credits - t.charged - t.open !== t.balances) {
      findings.push({ check: "conservation", object: t.currency, problem: `credits ${t.credits} − charged ${t.charged} − open ${t.open} = ${t.credits - t.charged - t.open}, but the balances sum to ${t.balances}` });
    }
  }
  return { wallets: records.length, events, findings, totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)), openDeductions };
}

/** Result of verifying a ledger: the invariants' findings, and whether the gateway's charges were part of it. */
export interface LedgerVerifyResult extends LedgerCheck {
  ledger: string;
  chargesChecked: boolean;
  /** Why the gateway's charges were not checked (the gateway cannot list them, or listing them failed). */
  chargesNotChecked?: string;
}
