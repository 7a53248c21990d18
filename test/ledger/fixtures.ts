import { EVENT_FORMAT, type LedgerEvent } from "../../src/ledger/events";

const AT = "2026-01-01T00:00:00.000Z";

/** A tiny event log built step by step: created, then credits, deducts and refunds in order. */
export class Log {
  readonly events: LedgerEvent[] = [];
  constructor(readonly wallet = "w1", readonly currency = "EUR") {
    this.events.push({ format: EVENT_FORMAT, seq: 1, op_id: "create", currency, at: AT, type: "WalletCreated", wallet });
  }
  private get seq(): number {
    return this.events.length + 1;
  }
  credit(amount: number, op = `c${this.seq}`): this {
    this.events.push({ format: EVENT_FORMAT, seq: this.seq, op_id: `${op}:credit`, currency: this.currency, at: AT, type: "WalletCredited", amount });
    return this;
  }
  deduct(paymentId: string, amount: number): this {
    this.events.push({ format: EVENT_FORMAT, seq: this.seq, op_id: `${paymentId}:deduct`, currency: this.currency, at: AT, type: "WalletDeducted", amount, payment_id: paymentId });
    return this;
  }
  refund(paymentId: string, amount: number): this {
    this.events.push({ format: EVENT_FORMAT, seq: this.seq, op_id: `${paymentId}:refund`, currency: this.currency, at: AT, type: "WalletRefunded", amount, payment_id: paymentId });
    return this;
  }
}
