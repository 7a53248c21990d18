import Stripe from "stripe";
import { TidemarkError } from "../errors.js";
import { StripeGateway } from "./stripe.js";
import type { Gateway } from "./types.js";

/** Neither `TIDEMARK_GATEWAY_URL` nor `STRIPE_API_KEY` is set (or one is malformed) on the worker. */
export class GatewayNotConfiguredError extends TidemarkError {
  override readonly retryable = true;
}

/** Gateway requests time out after this long unless `TIDEMARK_GATEWAY_TIMEOUT_MS` says otherwise. */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 20_000;

/** The API key the simulator accepts; not a secret. */
const SIMULATOR_KEY = "sk_test_tidemark_simulator";

function timeoutFrom(env: NodeJS.ProcessEnv): number {
  const text = env.TIDEMARK_GATEWAY_TIMEOUT_MS;
  if (text === undefined || text === "") return DEFAULT_GATEWAY_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new GatewayNotConfiguredError(`TIDEMARK_GATEWAY_TIMEOUT_MS=${JSON.stringify(text)} is not a positive whole number of milliseconds; fix it.`);
  return ms;
}

/**
 * The gateway workers use: the simulator at `TIDEMARK_GATEWAY_URL` (through the Stripe SDK pointed at
 * it), else Stripe with `STRIPE_API_KEY` (payment method `TIDEMARK_STRIPE_PAYMENT_METHOD`). The SDK
 * never retries on its own (`maxNetworkRetries: 0`).
 */
export function gatewayFromEnv(env: NodeJS.ProcessEnv = process.env): Gateway {
  const timeout = timeoutFrom(env);
  const simulator = env.TIDEMARK_GATEWAY_URL;
  if (simulator) {
    let url: URL;
    try {
      url = new URL(simulator);
    } catch {
      throw new GatewayNotConfiguredError(`TIDEMARK_GATEWAY_URL=${JSON.stringify(simulator)} is not a URL; set it to the simulator's address, e.g. http://127.0.0.1:12111.`);
    }
    const protocol = url.protocol === "https:" ? "https" : "http";
    const port = url.port || (protocol === "https" ? "443" : "80");
    const stripe = new Stripe(SIMULATOR_KEY, { host: url.hostname, port, protocol, timeout, maxNetworkRetries: 0, telemetry: false });
    return new StripeGateway(stripe, { description: `gateway simulator ${url.origin}`, chargesUrl: `${url.origin}/v1/charges` });
  }
  const key = env.STRIPE_API_KEY;
  if (key) {
    const stripe = new Stripe(key, { timeout, maxNetworkRetries: 0, telemetry: false });
    return new StripeGateway(stripe, { description: "Stripe", paymentMethod: env.TIDEMARK_STRIPE_PAYMENT_METHOD || undefined });
  }
  throw new GatewayNotConfiguredError("No payment gateway is configured on this worker; set TIDEMARK_GATEWAY_URL (the simulator) or STRIPE_API_KEY and restart it.");
}
