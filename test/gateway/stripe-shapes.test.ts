import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayFromEnv } from "../../src/gateway/from-env";

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  idempotencyKey?: string;
  authorization?: string;
  form: Record<string, string>;
}

const recorded: Recorded[] = [];
const intent = { id: "pi_rec", object: "payment_intent", amount: 4200, currency: "eur", status: "succeeded", metadata: { tidemark_payment_id: "pay-shape" }, last_payment_error: null };
let server: Server;
let url: string;

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const u = new URL(req.url!, "http://127.0.0.1");
    recorded.push({
      method: req.method!, path: u.pathname, query: Object.fromEntries(u.searchParams), idempotencyKey: req.headers["idempotency-key"] as string | undefined,
      authorization: req.headers.authorization, form: Object.fromEntries(new URLSearchParams(await body(req))),
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(u.pathname.endsWith("/search") ? { object: "search_result", data: [intent], has_more: false } : intent));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("Stripe adapter request shapes (recorded on a 127.0.0.1 server)", () => {
  it("creates a confirmed PaymentIntent keyed by the payment id and finds it by metadata", async () => {
    const gateway = gatewayFromEnv({ TIDEMARK_GATEWAY_URL: url });
    expect(await gateway.charge({ paymentId: "pay-shape", amount: 4200, currency: "EUR" })).toEqual({ outcome: "succeeded", chargeId: "pi_rec" });
    expect(await gateway.retrieve("pay-shape")).toEqual({ outcome: "succeeded", chargeId: "pi_rec", amount: 4200, currency: "EUR" });
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({
      method: "POST",
      path: "/v1/payment_intents",
      idempotencyKey: "pay-shape",
      authorization: "Bearer sk_test_tidemark_simulator",
      form: {
        amount: "4200", currency: "eur", confirm: "true", payment_method: "pm_card_visa",
        "automatic_payment_methods[enabled]": "true", "automatic_payment_methods[allow_redirects]": "never", "metadata[tidemark_payment_id]": "pay-shape",
      },
    });
    expect(recorded[1]).toMatchObject({ method: "GET", path: "/v1/payment_intents/search", query: { query: "metadata['tidemark_payment_id']:'pay-shape'", limit: "10", "expand[0]": "data.latest_charge" } });
  });
});
