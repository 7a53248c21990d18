import type { LedgerEvent } from "../../src/ledger/events";
import type { GatewayCharge } from "../../src/ledger/invariants";
import type { PaymentStatus } from "../../src/ledger/payment";
import type { LedgerStore } from "../../src/ledger/store";

/** One payment as the test submitted it, and the status it was last seen in. */
export interface Submitted {
  id: string;
  wallet: string;
  amount: number;
  status?: PaymentStatus;
}

/** What the audit found; every list empty means the bank is sound. */
export interface BankAudit {
  byStatus: Record<string, number>;
  /** Lowest balance any wallet ever had after an event (folded by the test from the raw events). */
  minBalance: number;
  events: number;
  doubleCharges: string[];
  doubleDeductions: string[];
  doubleRefunds: string[];
  /** Payments whose status disagrees with the ledger events or the gateway's charges. */
  inconsistent: string[];
  /** Gateway charges no payment of the test explains. */
  strayCharges: string[];
  /** Events that break contiguous numbering. */
  gaps: string[];
  credited: number;
  balances: number;
  /** Sum of the deductions not given back (completed and in-review payments), from the test's record. */
  kept: number;
  /** Sum of the gateway's succeeded charges. */
  charged: number;
}

const amountOf = (e: LedgerEvent): number => ("amount" in e ? e.amount : 0);
const paymentOf = (e: LedgerEvent): string | undefined => ("payment_id" in e ? e.payment_id : undefined);

/**
 * Audits a ledger against the test's own record of what it credited and submitted and against the
 * gateway's own charge list: statuses are explained by events and charges, nothing is applied
 * twice, no balance ever dips below zero and money is conserved exactly.
 */
export async function auditBank(ledger: LedgerStore, wallets: string[], credits: Map<string, number>, submitted: Submitted[], charges: GatewayCharge[]): Promise<BankAudit> {
  const deducts = new Map<string, LedgerEvent[]>();
  const refunds = new Map<string, LedgerEvent[]>();
  const gaps: string[] = [];
  let minBalance = Number.POSITIVE_INFINITY;
  let balances = 0;
  let events = 0;
  for (const wallet of wallets) {
    const record = await ledger.readRecord(wallet);
    let balance = 0;
    record.events.forEach((e, i) => {
      events++;
      if (e.seq !== i + 1) gaps.push(`${wallet} event ${i + 1} has seq ${e.seq}`);
      if (e.type === "WalletCredited" || e.type === "WalletRefunded") balance += amountOf(e);
      if (e.type === "WalletDeducted") balance -= amountOf(e);
      const into = e.type === "WalletDeducted" ? deducts : e.type === "WalletRefunded" ? refunds : undefined;
      const id = paymentOf(e);
      if (into && id) into.set(id, [...(into.get(id) ?? []), e]);
      minBalance = Math.min(minBalance, balance);
    });
    balances += balance;
  }
  const chargesByKey = new Map<string, GatewayCharge[]>();
  for (const c of charges) chargesByKey.set(c.idempotency_key, [...(chargesByKey.get(c.idempotency_key) ?? []), c]);
  const held = (id: string) => (chargesByKey.get(id) ?? []).filter((c) => c.status !== "failed");

  const byStatus: Record<string, number> = {};
  const inconsistent: string[] = [];
  let kept = 0;
  for (const p of submitted) {
    byStatus[p.status ?? "unknown"] = (byStatus[p.status ?? "unknown"] ?? 0) + 1;
    const d = deducts.get(p.id) ?? [];
    const r = refunds.get(p.id) ?? [];
    const c = held(p.id);
    const deductedHere = d.length === 1 && amountOf(d[0]) === p.amount;
    const charged = c.length === 1 && c[0].status === "succeeded" && c[0].amount === p.amount;
    let ok: boolean;
    switch (p.status) {
      case "declined":
        ok = d.length === 0 && c.length === 0;
        break;
      case "completed":
        ok = deductedHere && r.length === 0 && charged;
        kept += p.amount;
        break;
      case "failed":
        ok = c.length === 0 && ((deductedHere && r.length === 1 && amountOf(r[0]) === p.amount) || (d.length === 0 && r.length === 0));
        break;
      case "requires_review":
        ok = deductedHere && r.length === 0 && (c.length === 0 || charged);
        kept += p.amount;
        break;
      default:
        ok = false;
    }
    if (!ok) inconsistent.push(`${p.id}: ${p.status}, ${d.length} deductions, ${r.length} refunds, charges ${JSON.stringify(chargesByKey.get(p.id) ?? [])}`);
  }
  const ours = new Set(submitted.map((p) => p.id));
  return {
    byStatus,
    minBalance,
    events,
    doubleCharges: [...chargesByKey].filter(([, cs]) => cs.filter((c) => c.status !== "failed").length > 1).map(([k]) => k),
    doubleDeductions: [...deducts].filter(([, es]) => es.length > 1).map(([k]) => k),
    doubleRefunds: [...refunds].filter(([, es]) => es.length > 1).map(([k]) => k),
    inconsistent,
    strayCharges: charges.filter((c) => !ours.has(c.idempotency_key)).map((c) => `${c.idempotency_key} ${c.status}`),
    gaps,
    credited: [...credits.values()].reduce((a, b) => a + b, 0),
    balances,
    kept,
    charged: charges.filter((c) => c.status === "succeeded").reduce((a, c) => a + c.amount, 0),
  };
}

/** A small seeded generator, so every run submits the same payments. */
export { seededRandom as seeded } from "../support/random";
