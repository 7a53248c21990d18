/** Format tag of every wallet event object. */
export const EVENT_FORMAT = "tidemark.wallet-event/1";

interface EventBase {
  format: typeof EVENT_FORMAT;
  /** Position in the wallet's log: 1, 2, 3 … without gaps. */
  seq: number;
  /** The operation this event applies, at most once per wallet (payment id + step for payments). */
  op_id: string;
  currency: string;
  /** When the event was written (ISO-8601); informational only. */
  at: string;
}

/** The first event of every wallet. */
export interface WalletCreated extends EventBase {
  type: "WalletCreated";
  wallet: string;
}

/** Money added to the wallet from outside. */
export interface WalletCredited extends EventBase {
  type: "WalletCredited";
  amount: number;
}

/** Money taken from the wallet for a payment. */
export interface WalletDeducted extends EventBase {
  type: "WalletDeducted";
  amount: number;
  payment_id: string;
}

/** A payment's deduction given back (the payment was not charged). */
export interface WalletRefunded extends EventBase {
  type: "WalletRefunded";
  amount: number;
  payment_id: string;
}

/** Any wallet event. */
export type LedgerEvent = WalletCreated | WalletCredited | WalletDeducted | WalletRefunded;

/** An event before it has a place in the log. */
export type PendingEvent = LedgerEvent extends infer E ? (E extends LedgerEvent ? Omit<E, "seq" | "at" | "format"> : never) : never;

/** Op id of a wallet's creation. */
export const CREATE_OP = "create";

/** Op id of a credit with the caller's operation id. */
export function creditOpId(opId: string): string {
  return `${opId}:credit`;
}

/** Op id of a payment's deduction. */
export function deductOpId(paymentId: string): string {
  return `${paymentId}:deduct`;
}

/** Op id of a payment's refund. */
export function refundOpId(paymentId: string): string {
  return `${paymentId}:refund`;
}

/**
 * What is wrong with an event's op id for its type, or null: a creation's is {@link CREATE_OP}, a
 * credit's ends in ":credit", a deduction's and a refund's are its payment id + ":deduct" / ":refund"
 * (so a payment is deducted and refunded at most once each).
 */
export function opIdProblem(event: LedgerEvent): string | null {
  const wrong = (rule: string) => `event ${event.seq} has op id ${event.op_id}; ${rule}`;
  switch (event.type) {
    case "WalletCreated":
      return event.op_id === CREATE_OP ? null : wrong(`a WalletCreated has op id ${CREATE_OP}`);
    case "WalletCredited":
      return event.op_id.endsWith(":credit") ? null : wrong('a WalletCredited has an op id ending in ":credit"');
    case "WalletDeducted":
    case "WalletRefunded": {
      const expected = event.type === "WalletDeducted" ? deductOpId(event.payment_id) : refundOpId(event.payment_id);
      return event.op_id === expected ? null : wrong(`a ${event.type} of payment ${event.payment_id} has op id ${expected}`);
    }
  }
}

/** Whether two events apply the same operation with the same parameters (ignoring seq and time). */
export function sameOperation(a: PendingEvent | LedgerEvent, b: PendingEvent | LedgerEvent): boolean {
  const key = (e: PendingEvent | LedgerEvent) =>
    JSON.stringify([e.type, e.op_id, e.currency, "amount" in e ? e.amount : null, "payment_id" in e ? e.payment_id : null, "wallet" in e ? e.wallet : null]);
  return key(a) === key(b);
}

/** Serializes an event as stored (stable field order, trailing newline). */
export function serializeEvent(event: LedgerEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** Parses a stored event; returns a description of what is wrong instead when it is not one. */
export function parseEvent(bytes: Uint8Array | string): LedgerEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    return "not JSON";
  }
  const e = value as Record<string, unknown>;
  if (typeof e !== "object" || e === null || e.format !== EVENT_FORMAT) return `format is not ${EVENT_FORMAT}`;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return "seq is not a positive integer";
  if (typeof e.op_id !== "string" || typeof e.currency !== "string" || typeof e.at !== "string") return "op_id, currency or at missing";
  switch (e.type) {
    case "WalletCreated":
      return typeof e.wallet === "string" ? (e as unknown as LedgerEvent) : "WalletCreated without wallet";
    case "WalletCredited":
    case "WalletDeducted":
    case "WalletRefunded":
      if (!Number.isSafeInteger(e.amount) || (e.amount as number) <= 0) return `${e.type} amount is not a positive integer`;
      if (e.type !== "WalletCredited" && typeof e.payment_id !== "string") return `${e.type} without payment_id`;
      return e as unknown as LedgerEvent;
    default:
      return `unknown event type ${JSON.stringify(e.type)}`;
  }
}
