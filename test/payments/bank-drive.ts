import { setTimeout as sleep } from "node:timers/promises";
import { describePayment, startPayment } from "../../src/ledger/payment-client";
import { TidemarkError } from "../../src/errors";
import type { PaymentStatus } from "../../src/ledger/payment";
import type { BankBed } from "./bank-bed";
import type { Submitted } from "./bank-audit";

/** Statuses a bank payment may end in (requires_review waits for a person and counts as settled here). */
export const SETTLED: PaymentStatus[] = ["completed", "declined", "failed", "requires_review"];

/** Retries `fn` while the server is away (a killed dev server refuses calls until it is back), up to `untilMs`; a Tidemark error is thrown at once. */
export async function retrying<T>(what: string, untilMs: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof TidemarkError) throw err;
      if (Date.now() > untilMs) throw new Error(`${what}: still failing at the deadline: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

/** Starts one payment (the product's idempotent start: a retried start returns the same payment). */
export function submit(bed: BankBed, p: Submitted, verifyWindowMs: number, untilMs: number): Promise<unknown> {
  return retrying(`start ${p.id}`, untilMs, () =>
    startPayment(bed.client, bed.store, bed.taskQueue, { payment_id: p.id, wallet: p.wallet, amount: p.amount, currency: "EUR", ledger: bed.ledgerName, verify_window_ms: verifyWindowMs }),
  );
}

/** Polls the payment's status (from its memo) until it is settled or `untilMs` passes; records it on `p`. */
export async function settle(bed: BankBed, p: Submitted, untilMs: number): Promise<PaymentStatus> {
  for (;;) {
    const status = await retrying(`status of ${p.id}`, untilMs, async () => (await describePayment(bed.client, p.id)).status);
    p.status = status;
    if (SETTLED.includes(status)) return status;
    if (Date.now() > untilMs) throw new Error(`payment ${p.id} is still ${status} at the deadline`);
    await sleep(300);
  }
}

/** Counts settled payments and wakes whoever waits for a count. */
export class Progress {
  started = 0;
  settled = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  get inFlight(): number {
    return this.started - this.settled;
  }

  onSettled(): void {
    this.settled++;
    this.waiters = this.waiters.filter((w) => (this.settled >= w.n ? (w.resolve(), false) : true));
  }

  /** Resolves once `n` payments have settled. */
  until(n: number): Promise<void> {
    return this.settled >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** `clients` concurrent clients each take the next payment from `payments`, start it and wait until it settles. */
export async function runClients(bed: BankBed, payments: Submitted[], clients: number, progress: Progress, verifyWindowMs: number, untilMs: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < payments.length) {
        const p = payments[next++];
        progress.started++;
        await submit(bed, p, verifyWindowMs, untilMs);
        await settle(bed, p, untilMs);
        progress.onSettled();
      }
    }),
  );
}
