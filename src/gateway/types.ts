import type { GatewayCharge } from "../ledger/invariants.js";

export type { GatewayCharge } from "../ledger/invariants.js";

/** Metadata key naming the ledger of the payment a charge (a PaymentIntent) is for. */
export const LEDGER_METADATA = "tidemark_ledger";

/** A charge to make, keyed by the payment id (the gateway idempotency key). */
export interface ChargeRequest {
  paymentId: string;
  /** Minor units. */
  amount: number;
  /** Upper-case ISO code. */
  currency: string;
  /** The ledger whose payment this is, recorded with the charge so a ledger's verify can tell its charges from other ledgers'. */
  ledger?: string;
}

/**
 * What a charge attempt tells: charged, definitively not charged (declined, rejected), or unknown —
 * a timeout, reset, 5xx or outage may or may not have charged.
 */
export type ChargeOutcome =
  | { outcome: "succeeded"; chargeId: string }
  | { outcome: "declined"; reason: string }
  | { outcome: "in_doubt"; reason: string };

/** What the gateway knows of a payment when asked. */
export type LookupOutcome =
  | { outcome: "succeeded"; chargeId: string; amount: number; currency: string }
  | { outcome: "failed"; reason: string }
  | { outcome: "refunded"; chargeId: string }
  | { outcome: "not_found" }
  | { outcome: "unknown"; reason: string };

/** One payment gateway (Stripe, or the simulator speaking Stripe's API). */
export interface Gateway {
  /** Where it is, for summaries and logs; never contains a secret. */
  readonly description: string;
  /** Charges once per idempotency key: the same request again returns the first answer. */
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Looks the payment up by its id without charging; with `ledger`, charges recording another ledger are not its. */
  retrieve(paymentId: string, ledger?: string): Promise<LookupOutcome>;
  /** Refunds a succeeded charge (idempotent per payment). */
  refund(paymentId: string): Promise<{ outcome: "refunded" } | { outcome: "in_doubt"; reason: string } | { outcome: "not_found" }>;
  /** Every charge the gateway holds, when it can list them (the simulator); undefined otherwise. */
  listCharges?(): Promise<GatewayCharge[]>;
}
