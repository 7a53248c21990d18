/** The payments HTTP API on `tidemark serve` (SPEC §12): wallets on the ledger, payments as workflows. */
import type { Client } from "@temporalio/client";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { StoreUnavailableError, TidemarkError } from "../errors.js";
import {
  CurrencyMismatchError, LedgerContentionError, LedgerCorruptError, OpConflictError, PaymentConflictError, PaymentInputError, PaymentNotFoundError, WalletExistsError, WalletNotFoundError,
} from "../ledger/errors.js";
import { requireAmount, requireCurrency, requireOpId, requirePaymentId, requireWalletId } from "../ledger/ids.js";
import { type PaymentInput, validatePayment } from "../ledger/payment.js";
import { LedgerStore } from "../ledger/store.js";
import type { ObjectStore } from "../store/types.js";
import { IntakeRequestError } from "./errors.js";
import { authenticate } from "./records-route.js";
import { type TokenTable, allowsPayments } from "./tokens.js";

/** What the payments API works with. */
export interface PaymentsApiDeps {
  readonly store: ObjectStore;
  readonly tokens: TokenTable;
  readonly ledger: string;
  readonly taskQueue: string;
  readonly temporal: () => Promise<Client>;
}

/** HTTP status of a ledger or payment error, or null when it is not one of them. */
export function paymentErrorStatus(err: TidemarkError): number | null {
  if (err instanceof PaymentInputError) return 400;
  if (err instanceof WalletNotFoundError || err instanceof PaymentNotFoundError) return 404;
  if (err instanceof WalletExistsError || err instanceof CurrencyMismatchError || err instanceof OpConflictError || err instanceof PaymentConflictError) return 409;
  if (err instanceof LedgerContentionError) return 503;
  if (err instanceof LedgerCorruptError) return 500;
  if (err.name === "TemporalUnreachableError" || err instanceof StoreUnavailableError) return 503;
  return null;
}

function body(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (typeof b === "string") throw new IntakeRequestError(415, "The content type is not supported; send application/json.");
  if (b === null || typeof b !== "object" || Array.isArray(b)) throw new PaymentInputError("The body must be a JSON object; see the README's Payments section for the fields.");
  return b as Record<string, unknown>;
}

function onlyFields(b: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(b).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new PaymentInputError(`Field "${extra.slice(0, 64)}" is not known here; send only ${allowed.join(", ")}.`);
}

async function temporalOf(deps: PaymentsApiDeps): Promise<Client> {
  try {
    return await deps.temporal();
  } catch (err) {
    throw new IntakeRequestError(503, `Temporal is not reachable (${(err as Error).message}); retry when it is back.`, {}, { "retry-after": "5" });
  }
}

/** Registers `/v1/wallets…` and `/v1/payments…` in their own context (JSON bodies). */
export function registerPaymentsApi(app: FastifyInstance, deps: PaymentsApiDeps): void {
  const ledger = new LedgerStore(deps.store, deps.ledger);
  void app.register(async (scope) => {
    scope.addHook("onRequest", async (req) => {
      if (!allowsPayments(authenticate(deps.tokens, req))) throw new IntakeRequestError(403, 'This token may not use the payments API; use a token whose scope is "payments" or "*".');
    });

    scope.post("/v1/wallets", async (req, reply) => {
      const b = body(req);
      onlyFields(b, ["wallet", "currency"]);
      const wallet = requireWalletId(b.wallet);
      const currency = requireCurrency(b.currency);
      const { created, view } = await ledger.createWallet(wallet, currency);
      return reply.code(created ? 201 : 200).send({ wallet: view.wallet, currency: view.currency, balance: view.balance, seq: view.seq });
    });

    scope.post<{ Params: { w: string } }>("/v1/wallets/:w/credits", async (req, reply) => {
      const wallet = requireWalletId(req.params.w);
      const b = body(req);
      onlyFields(b, ["op_id", "amount", "currency"]);
      const opId = requireOpId(b.op_id);
      const amount = requireAmount(b.amount);
      const view = await ledger.show(wallet);
      if (!view) throw new WalletNotFoundError(deps.ledger, wallet);
      if (b.currency !== undefined && requireCurrency(b.currency) !== view.currency) throw new CurrencyMismatchError(wallet, view.currency, String(b.currency));
      const r = await ledger.credit(wallet, opId, amount, view.currency);
      if (r.status !== "applied") throw new Error("a credit cannot lack funds");
      return reply.code(200).send({ wallet, op_id: opId, amount, currency: view.currency, balance: r.balance, replayed: r.replayed });
    });

    scope.get<{ Params: { w: string } }>("/v1/wallets/:w", async (req) => {
      const wallet = requireWalletId(req.params.w);
      const view = await ledger.show(wallet);
      if (!view) throw new WalletNotFoundError(deps.ledger, wallet);
      return { wallet: view.wallet, currency: view.currency, balance: view.balance, seq: view.seq };
    });

    scope.post("/v1/payments", async (req, reply) => {
      const b = body(req);
      onlyFields(b, ["payment_id", "wallet", "amount", "currency", "verify_window"]);
      const request = validatePayment({ ...(b as unknown as PaymentInput), ledger: deps.ledger });
      const { startPayment } = await import("../ledger/payment-client.js");
      const started = await startPayment(await temporalOf(deps), deps.store, deps.taskQueue, request);
      return reply.code(202).send({ payment_id: started.payment_id, status: started.status });
    });

    scope.get<{ Params: { id: string } }>("/v1/payments/:id", async (req) => {
      const id = requirePaymentId(req.params.id);
      const { describePayment } = await import("../ledger/payment-client.js");
      const { request, status } = await describePayment(await temporalOf(deps), id);
      return { payment_id: request.payment_id, wallet: request.wallet, amount: request.amount, currency: request.currency, status };
    });
  });
}
