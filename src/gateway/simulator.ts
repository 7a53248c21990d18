import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { mergeFaults, noFaults, pickFault, type ChargeFault, type SimulatorFaults } from "./faults.js";
import { LEDGER_METADATA, type GatewayCharge } from "./types.js";

/** A PaymentIntent as the simulator keeps it. */
interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  currency: string;
  status: "succeeded" | "requires_payment_method";
  metadata: Record<string, string>;
  created: number;
  last_payment_error: { code: string; decline_code?: string } | null;
  /** Simulator-only: the key it was created with and how it ended. */
  idempotency_key: string | null;
  charge_status: GatewayCharge["status"];
}

interface Stored {
  params: string;
  status: number;
  body: unknown;
  done: boolean;
}

/** Counts of what the simulator did, for tests to prove their faults happened (`GET /admin/stats`). */
export interface SimulatorStats {
  requests: number;
  charges_created: number;
  replays: number;
  faults: Record<ChargeFault | "outage" | "idempotency_mismatch", number>;
}

/** A running simulator. */
export interface GatewaySimulator {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  readonly port: number;
  /** Current faults. */
  faults(): SimulatorFaults;
  /** Changes faults (same body as `POST /admin/faults`); throws on a bad update. */
  setFaults(update: Record<string, unknown>): SimulatorFaults;
  stats(): SimulatorStats;
  charges(): GatewayCharge[];
  /** Forgets every idempotency key, as Stripe does after 24 hours; returns how many it held. */
  expireIdempotencyKeys(): number;
  close(): Promise<void>;
}

const stripeError = (status: number, type: string, message: string, extra: Record<string, unknown> = {}) => ({ status, body: { error: { type, message, ...extra } } });

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Flattens a form body (`metadata[k]=v`) into sorted key/value pairs. */
function formParams(body: string): Map<string, string> {
  return new Map([...new URLSearchParams(body).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const SEARCH_QUERY = /^metadata\['([A-Za-z0-9_]+)'\]:'([^']*)'$/;

/**
 * Starts a stateful Stripe-like gateway on 127.0.0.1 (`port` 0 picks a free one): PaymentIntents
 * (create+confirm, retrieve, search by metadata), refunds, Stripe's idempotency (the first response of
 * a key — even a 500 — is stored and replayed; a key reused with other parameters is refused 400;
 * a key still in flight — a create waits out `latency_ms` after taking its key — answers 409), switchable faults at `/admin/faults`, counters at
 * `/admin/stats` and every charge at `GET /v1/charges`.
 */
export async function startGatewaySimulator(options: { port?: number; faults?: Partial<SimulatorFaults> } = {}): Promise<GatewaySimulator> {
  let faults: SimulatorFaults = { ...noFaults(), ...options.faults };
  const intents = new Map<string, Intent>();
  const byKey = new Map<string, Stored>();
  const stats: SimulatorStats = { requests: 0, charges_created: 0, replays: 0, faults: { error_500: 0, decline: 0, timeout_after_charge: 0, outage: 0, idempotency_mismatch: 0 } };
  const sockets = new Set<Socket>();
  const held = new Set<NodeJS.Timeout>();

  const delay = async (): Promise<void> => {
    if (faults.latency_ms > 0) await new Promise((r) => setTimeout(r, faults.latency_ms));
  };

  const newIntent = (p: Map<string, string>, key: string | undefined, status: Intent["status"], chargeStatus: GatewayCharge["status"], error: Intent["last_payment_error"]): Intent => {
    const metadata: Record<string, string> = {};
    for (const [k, v] of p) if (k.startsWith("metadata[")) metadata[k.slice(9, -1)] = v;
    const intent: Intent = {
      id: `pi_${randomBytes(12).toString("hex")}`, object: "payment_intent", amount: Number(p.get("amount")), currency: p.get("currency")!, status, metadata,
      created: Math.floor(Date.now() / 1000), last_payment_error: error, idempotency_key: key ?? null, charge_status: chargeStatus,
    };
    intents.set(intent.id, intent);
    stats.charges_created++;
    return intent;
  };

  const createIntent = (p: Map<string, string>, key: string | undefined, fault: ChargeFault | null): { status: number; body: unknown } => {
    const amount = Number(p.get("amount"));
    const currency = p.get("currency") ?? "";
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > 99_999_999_999) return stripeError(400, "invalid_request_error", "Invalid positive integer", { param: "amount", code: "parameter_invalid_integer" });
    if (!/^[a-z]{3}$/.test(currency)) return stripeError(400, "invalid_request_error", "Invalid currency", { param: "currency", code: "invalid_currency" });
    if (fault === "error_500") {
      newIntent(p, key, "requires_payment_method", "failed", { code: "processing_error" });
      return stripeError(500, "api_error", "An unknown error occurred while processing the charge.");
    }
    if (fault === "decline" || p.get("payment_method") === "pm_card_chargeDeclined") {
      const intent = newIntent(p, key, "requires_payment_method", "failed", { code: "card_declined", decline_code: "generic_decline" });
      return stripeError(402, "card_error", "Your card was declined.", { code: "card_declined", decline_code: "generic_decline", payment_intent: intent });
    }
    return { status: 200, body: newIntent(p, key, "succeeded", "succeeded", null) };
  };

  const handleCreate = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const params = formParams(body);
    const key = req.headers["idempotency-key"] as string | undefined;
    const paramsText = JSON.stringify([...params]);
    if (key !== undefined) {
      const stored = byKey.get(key);
      if (stored && stored.params !== paramsText) {
        stats.faults.idempotency_mismatch++;
        const e = stripeError(400, "idempotency_error", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`);
        return send(res, e.status, e.body);
      }
      if (stored && !stored.done) {
        const e = stripeError(409, "idempotency_error", "There is currently another in-progress request using this Idempotent Key.");
        return send(res, e.status, e.body);
      }
      if (stored) {
        stats.replays++;
        return send(res, stored.status, stored.body, { "idempotent-replayed": "true" });
      }
      byKey.set(key, { params: paramsText, status: 0, body: null, done: false });
    }
    await delay();
    const fault = pickFault(faults, key, Math.random);
    if (fault) stats.faults[fault]++;
    const result = createIntent(params, key, fault === "timeout_after_charge" ? null : fault);
    if (key !== undefined) byKey.set(key, { params: paramsText, status: result.status, body: result.body, done: true });
    if (fault === "timeout_after_charge") {
      const timer = setTimeout(() => {
        held.delete(timer);
        req.socket.destroy();
      }, faults.hang_ms);
      held.add(timer);
      req.socket.once("close", () => {
        clearTimeout(timer);
        held.delete(timer);
      });
      return;
    }
    send(res, result.status, result.body, key ? { "idempotency-key": key } : {});
  };

  const handleRefund = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = formParams(await readBody(req));
    const intent = intents.get(params.get("payment_intent") ?? "");
    if (!intent) return send(res, 404, stripeError(404, "invalid_request_error", "No such payment_intent", { code: "resource_missing" }).body);
    if (intent.charge_status === "failed") return send(res, 400, stripeError(400, "invalid_request_error", "This PaymentIntent has no successful charge to refund.", { code: "charge_not_refundable" }).body);
    intent.charge_status = "refunded";
    send(res, 200, { id: `re_${intent.id.slice(3)}`, object: "refund", status: "succeeded", amount: intent.amount, currency: intent.currency, payment_intent: intent.id });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    if (path === "/admin/faults") {
      if (req.method === "GET") return send(res, 200, faults);
      let update: unknown;
      try {
        update = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, { error: "the body must be JSON" });
      }
      const merged = mergeFaults(faults, update, Date.now());
      if (typeof merged === "string") return send(res, 400, { error: merged });
      faults = merged;
      return send(res, 200, faults);
    }
    if (path === "/admin/stats") return send(res, 200, stats);
    if (req.method === "GET" && path === "/v1/charges") return send(res, 200, listCharges());
    if (!path.startsWith("/v1/")) return send(res, 404, { error: `no route ${req.method} ${path}` });
    stats.requests++;
    const creating = req.method === "POST" && path === "/v1/payment_intents";
    if (!creating) await delay();
    if (faults.outage || Date.now() < faults.outage_until) {
      stats.faults.outage++;
      return send(res, 503, stripeError(503, "api_error", "The gateway is unavailable (simulated outage).").body);
    }
    if (!/^Bearer sk_/.test(req.headers.authorization ?? "")) return send(res, 401, stripeError(401, "invalid_request_error", "Invalid API Key provided.").body);
    if (creating) return handleCreate(req, res);
    if (req.method === "POST" && path === "/v1/refunds") return handleRefund(req, res);
    if (req.method === "GET" && path === "/v1/payment_intents/search") {
      const m = SEARCH_QUERY.exec(url.searchParams.get("query") ?? "");
      if (!m) return send(res, 400, stripeError(400, "invalid_request_error", "Only metadata['key']:'value' queries are supported.").body);
      const expand = [...url.searchParams.entries()].some(([k, v]) => k.startsWith("expand[") && v === "data.latest_charge");
      const data = [...intents.values()].filter((i) => i.metadata[m[1]] === m[2]).map((i) => publicIntent(i, expand));
      return send(res, 200, { object: "search_result", url: "/v1/payment_intents/search", has_more: false, data, next_page: null });
    }
    const one = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/.exec(path);
    if (req.method === "GET" && one) {
      const intent = intents.get(one[1]);
      return intent ? send(res, 200, publicIntent(intent)) : send(res, 404, stripeError(404, "invalid_request_error", `No such payment_intent: '${one[1]}'`, { code: "resource_missing" }).body);
    }
    send(res, 404, stripeError(404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`).body);
  };

  /** The intent as Stripe shows it: `latest_charge` an id, or the charge itself when expanded. */
  const publicIntent = (i: Intent, expandCharge = false) => {
    const { idempotency_key: _k, charge_status: status, ...rest } = i;
    const chargeId = status === "failed" ? null : `ch_${i.id.slice(3)}`;
    const latest_charge = chargeId && expandCharge ? { id: chargeId, object: "charge", amount: i.amount, refunded: status === "refunded", payment_intent: i.id } : chargeId;
    return { ...rest, latest_charge };
  };
  const listCharges = (): GatewayCharge[] =>
    [...intents.values()].map((i) => ({
      id: i.id, idempotency_key: i.idempotency_key ?? "", amount: i.amount, currency: i.currency, status: i.charge_status,
      ...(i.metadata[LEDGER_METADATA] === undefined ? {} : { ledger: i.metadata[LEDGER_METADATA] }),
    }));

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { error: { type: "api_error", message: `simulator failure: ${err.message}` } });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults: () => faults,
    setFaults(update) {
      const merged = mergeFaults(faults, update, Date.now());
      if (typeof merged === "string") throw new Error(merged);
      faults = merged;
      return faults;
    },
    stats: () => structuredClone(stats),
    charges: listCharges,
    expireIdempotencyKeys() {
      const n = byKey.size;
      byKey.clear();
      return n;
    },
    async close() {
      for (const t of held) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
