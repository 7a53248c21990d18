import Stripe from "stripe";
import { LEDGER_METADATA, type ChargeOutcome, type ChargeRequest, type Gateway, type GatewayCharge, type LookupOutcome } from "./types.js";

/** Metadata key that ties a PaymentIntent to its Tidemark payment. */
export const PAYMENT_ID_METADATA = "tidemark_payment_id";

/** Options of {@link StripeGateway}. */
export interface StripeGatewayOptions {
  /** Payment method confirmed with each intent (a Stripe test method by default). */
  paymentMethod?: string;
  /** Where the simulator lists its charges (`GET /v1/charges`); unset for Stripe itself. */
  chargesUrl?: string;
  description: string;
}

function errorText(err: unknown): string {
  const e = err as { type?: string; code?: string; statusCode?: number; message?: string };
  return [e.type, e.code, e.statusCode].filter((x) => x !== undefined).join(" ") + (e.message ? `: ${e.message}` : "");
}

function intentOutcome(intent: Stripe.PaymentIntent): LookupOutcome {
  if (intent.status === "succeeded") {
    const charge = intent.latest_charge;
    if (charge && typeof charge === "object" && charge.refunded) return { outcome: "refunded", chargeId: intent.id };
    return { outcome: "succeeded", chargeId: intent.id, amount: intent.amount, currency: intent.currency.toUpperCase() };
  }
  if (intent.status === "requires_payment_method" || intent.status === "canceled") {
    return { outcome: "failed", reason: intent.last_payment_error?.code ?? intent.status };
  }
  return { outcome: "unknown", reason: `intent ${intent.id} is ${intent.status}` };
}

/**
 * The gateway through Stripe PaymentIntents: one confirmed intent per payment, created with
 * `Idempotency-Key: <payment id>` and the payment id in its metadata, found again by searching that
 * metadata (leaving out intents that record another ledger). The SDK must be built with `maxNetworkRetries: 0`: the workflow decides what to retry.
 */
export class StripeGateway implements Gateway {
  readonly description: string;
  constructor(private readonly stripe: Stripe, private readonly options: StripeGatewayOptions) {
    this.description = options.description;
  }

  async charge({ paymentId, amount, currency, ledger }: ChargeRequest): Promise<ChargeOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount,
          currency: currency.toLowerCase(),
          confirm: true,
          payment_method: this.options.paymentMethod ?? "pm_card_visa",
          automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          metadata: { [PAYMENT_ID_METADATA]: paymentId, ...(ledger === undefined ? {} : { [LEDGER_METADATA]: ledger }) },
        },
        { idempotencyKey: paymentId },
      );
      const outcome = intentOutcome(intent);
      if (outcome.outcome === "succeeded") return { outcome: "succeeded", chargeId: intent.id };
      if (outcome.outcome === "failed") return { outcome: "declined", reason: outcome.reason };
      return { outcome: "in_doubt", reason: `intent ${intent.id} is ${intent.status}` };
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) return { outcome: "declined", reason: err.decline_code ?? err.code ?? "card_declined" };
      if (err instanceof Stripe.errors.StripeInvalidRequestError && !(err instanceof Stripe.errors.StripeIdempotencyError)) {
        return { outcome: "declined", reason: `rejected: ${errorText(err)}` };
      }
      return { outcome: "in_doubt", reason: errorText(err) };
    }
  }

  async retrieve(paymentId: string, ledger?: string): Promise<LookupOutcome> {
    try {
      const found = await this.stripe.paymentIntents.search({ query: `metadata['${PAYMENT_ID_METADATA}']:'${paymentId}'`, limit: 10, expand: ["data.latest_charge"] });
      const ours = found.data.filter((i) => ledger === undefined || i.metadata?.[LEDGER_METADATA] === undefined || i.metadata[LEDGER_METADATA] === ledger);
      if (ours.length === 0) return { outcome: "not_found" };
      const outcomes = ours.map(intentOutcome);
      return outcomes.find((o) => o.outcome === "succeeded") ?? outcomes.find((o) => o.outcome === "refunded") ?? outcomes[0];
    } catch (err) {
      return { outcome: "unknown", reason: errorText(err) };
    }
  }

  async refund(paymentId: string): Promise<{ outcome: "refunded" } | { outcome: "in_doubt"; reason: string } | { outcome: "not_found" }> {
    const found = await this.retrieve(paymentId);
    if (found.outcome === "refunded") return { outcome: "refunded" };
    if (found.outcome !== "succeeded") return found.outcome === "unknown" ? { outcome: "in_doubt", reason: found.reason } : { outcome: "not_found" };
    try {
      await this.stripe.refunds.create({ payment_intent: found.chargeId }, { idempotencyKey: `${paymentId}:refund` });
      return { outcome: "refunded" };
    } catch (err) {
      return { outcome: "in_doubt", reason: errorText(err) };
    }
  }

  get listCharges(): (() => Promise<GatewayCharge[]>) | undefined {
    const url = this.options.chargesUrl;
    if (!url) return undefined;
    return async () => {
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        throw new Error(`listing the gateway's charges at ${url} failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
      }
      if (!res.ok) throw new Error(`listing the gateway's charges at ${url} failed: HTTP ${res.status}`);
      return (await res.json()) as GatewayCharge[];
    };
  }
}
