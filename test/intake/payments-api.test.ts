import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerLayout } from "../../src/ledger/layout";
import { paymentWorkflowId } from "../../src/ledger/payment";
import { startPaymentBed, type PaymentBed } from "../payments/bed";
import { TOKENS, listing, request, startBed, until, type IntakeBed } from "./bed";

let pay: PaymentBed;
let bed: IntakeBed;
beforeAll(async () => {
  pay = await startPaymentBed("payapi");
  bed = await startBed(pay.store, {}, { client: pay.client, ledger: pay.ledgerName, taskQueue: pay.taskQueue });
});
afterAll(async () => {
  await bed?.close();
  await pay?.stop();
});

const auth = (token: string = TOKENS.pay) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
const call = (method: string, path: string, body?: unknown, token?: string) => request(bed.url, method, path, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), auth(token));

async function workflowExists(paymentId: string): Promise<boolean> {
  try {
    await pay.client.workflow.getHandle(paymentWorkflowId(paymentId)).describe();
    return true;
  } catch {
    return false;
  }
}

describe("payments HTTP API on tidemark serve", () => {
  it("creates and credits a wallet, runs a payment to completed and reports it", async () => {
    expect(await call("POST", "/v1/wallets", { wallet: "alice", currency: "EUR" })).toMatchObject({ status: 201, body: { wallet: "alice", currency: "EUR", balance: 0, seq: 1 } });
    expect(await call("POST", "/v1/wallets", { wallet: "alice", currency: "EUR" })).toMatchObject({ status: 200, body: { wallet: "alice", balance: 0 } });
    expect(await call("POST", "/v1/wallets/alice/credits", { op_id: "top-up-1", amount: 5000 })).toMatchObject({ status: 200, body: { balance: 5000, replayed: false } });
    expect(await call("POST", "/v1/wallets/alice/credits", { op_id: "top-up-1", amount: 5000 })).toMatchObject({ status: 200, body: { balance: 5000, replayed: true } });
    expect(await call("GET", "/v1/wallets/alice")).toMatchObject({ status: 200, body: { wallet: "alice", currency: "EUR", balance: 5000, seq: 2 } });

    const id = pay.id("api-happy");
    const started = await call("POST", "/v1/payments", { payment_id: id, wallet: "alice", amount: 1250, currency: "EUR" }, TOKENS.all);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.payment_id).toBe(id);
    let last: Record<string, unknown> = {};
    await until("the payment to complete", async () => {
      last = (await call("GET", `/v1/payments/${id}`)).body;
      return last.status === "completed";
    }, 60_000);
    expect(last).toEqual({ payment_id: id, wallet: "alice", amount: 1250, currency: "EUR", status: "completed" });
    expect(await call("POST", "/v1/payments", { payment_id: id, wallet: "alice", amount: 1250, currency: "EUR" })).toMatchObject({ status: 202, body: { payment_id: id, status: "completed" } });
    expect((await call("GET", "/v1/wallets/alice")).body.balance).toBe(3750);
    expect(pay.sim.charges().filter((c) => c.idempotency_key === id)).toHaveLength(1);
  });

  describe("refuses bad input with its status and one sentence, writing nothing", () => {
    beforeAll(async () => {
      await pay.ledger.createWallet("bob", "EUR");
      await pay.ledger.credit("bob", "bob-initial", 1000, "EUR");
      await pay.ledger.createWallet("broken", "EUR");
      await pay.ledger.credit("broken", "broken-initial", 1000, "EUR");
      await pay.store.put(new LedgerLayout(pay.ledgerName).event("broken", 2), "{\"format\":", { kind: "overwrite" });
      const taken = await call("POST", "/v1/payments", { payment_id: pay.id("taken"), wallet: "bob", amount: 100, currency: "EUR" });
      expect(taken.status).toBe(202);
      await until("the earlier payment to finish, so the ledger holds still", async () => (await call("GET", `/v1/payments/${pay.id("taken")}`)).body.status === "completed", 60_000);
    });

    const payment = (over: Record<string, unknown>) => ({ payment_id: pay.id(`bad-${Object.keys(over).join("-")}`), wallet: "bob", amount: 100, currency: "EUR", ...over });
    const cases: Array<[string, () => [string, string, unknown, string | undefined], number, RegExp]> = [
      ["a missing token", () => ["POST", "/v1/payments", payment({}), ""], 401, /^The request has no token/],
      ["a dataset-only token", () => ["POST", "/v1/payments", payment({}), TOKENS.clicks], 403, /^This token may not use the payments API/],
      ["a zero amount", () => ["POST", "/v1/payments", payment({ amount: 0 }), undefined], 400, /^Amount 0 is invalid/],
      ["a negative amount", () => ["POST", "/v1/payments", payment({ amount: -5 }), undefined], 400, /^Amount -5 is invalid/],
      ["a fractional amount", () => ["POST", "/v1/payments", payment({ amount: 12.5 }), undefined], 400, /^Amount 12\.5 is invalid/],
      ["a huge amount", () => ["POST", "/v1/payments", payment({ amount: 1e15 }), undefined], 400, /^Amount 1000000000000000 is invalid/],
      ["an amount as text", () => ["POST", "/v1/payments", payment({ amount: "100" }), undefined], 400, /^Amount "100" is invalid/],
      ["an unknown wallet", () => ["POST", "/v1/payments", payment({ wallet: "nobody" }), undefined], 404, /^Wallet "nobody" does not exist/],
      ["a currency mismatch", () => ["POST", "/v1/payments", payment({ currency: "USD" }), undefined], 409, /^Wallet "bob" holds EUR, not USD/],
      ["an invalid payment id", () => ["POST", "/v1/payments", payment({ payment_id: "../x" }), undefined], 400, /^Payment id "\.\.\/x" is invalid/],
      ["a reused payment id with other parameters", () => ["POST", "/v1/payments", payment({ payment_id: pay.id("taken"), amount: 999 }), undefined], 409, /already exists with other parameters/],
      ["an unknown field", () => ["POST", "/v1/payments", payment({ tip: 5 }), undefined], 400, /^Field "tip" is not known here/],
      ["a body that is not JSON", () => ["POST", "/v1/payments", "{amount:", undefined], 400, /^The body is not valid JSON/],
      ["an invalid wallet id", () => ["POST", "/v1/wallets", { wallet: "Bad Wallet", currency: "EUR" }, undefined], 400, /^Wallet id "Bad Wallet" is invalid/],
      ["an existing wallet with another currency", () => ["POST", "/v1/wallets", { wallet: "bob", currency: "USD" }, undefined], 409, /^Wallet "bob" already exists with currency EUR/],
      ["a bad currency", () => ["POST", "/v1/wallets", { wallet: "carol", currency: "euro" }, undefined], 400, /^Currency "euro" is invalid/],
      ["a credit to an unknown wallet", () => ["POST", "/v1/wallets/nobody/credits", { op_id: "c1", amount: 5 }, undefined], 404, /^Wallet "nobody" does not exist/],
      ["a credit without op_id", () => ["POST", "/v1/wallets/bob/credits", { amount: 5 }, undefined], 400, /^Operation id is missing: use letters/],
      ["a credit in another currency", () => ["POST", "/v1/wallets/bob/credits", { op_id: "c2", amount: 5, currency: "USD" }, undefined], 409, /^Wallet "bob" holds EUR, not USD/],
      ["a credit to a wallet whose log is broken", () => ["POST", "/v1/wallets/broken/credits", { op_id: "c3", amount: 5 }, undefined], 500, /^Ledger of wallet "broken" is inconsistent: .*000000000002\.json: not JSON; run "tidemark ledger verify"/],
      ["an unknown payment", () => ["GET", `/v1/payments/${pay.id("never")}`, undefined, undefined], 404, /^Payment ".*" does not exist/],
      ["an unknown wallet read", () => ["GET", "/v1/wallets/nobody", undefined, undefined], 404, /^Wallet "nobody" does not exist/],
      ["an unknown payments route", () => ["GET", "/v1/payments/x/refunds", undefined, undefined], 404, /^There is no GET \/v1\/payments\/x\/refunds endpoint; see the README's Payments section\.$/],
    ];

    it.each([
      ["text/plain", { "content-type": "text/plain" }],
      ["no content type", {}],
      ["NDJSON", { "content-type": "application/x-ndjson" }],
    ])("a body sent as %s: 415 asking for application/json", async (_what, type) => {
      const before = await listing(pay.store, "ledgers/");
      const res = await request(bed.url, "POST", "/v1/wallets", JSON.stringify({ wallet: "dave", currency: "EUR" }), { authorization: `Bearer ${TOKENS.pay}`, ...type });
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(res.body.error).toBe("The content type is not supported; send application/json.");
      expect(await listing(pay.store, "ledgers/")).toEqual(before);
    });

    it.each(cases)("%s", async (_what, make, status, message) => {
      const [method, path, body, token] = make();
      const before = await listing(pay.store, "ledgers/");
      const headers = token === "" ? { "content-type": "application/json" } : auth(token);
      const res = await request(bed.url, method, path, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error).toMatch(message);
      expect(res.body.error).toMatch(/\.$/);
      expect(await listing(pay.store, "ledgers/")).toEqual(before);
      const id = (body as { payment_id?: unknown } | undefined)?.payment_id;
      if (method === "POST" && path === "/v1/payments" && typeof id === "string" && id !== pay.id("taken") && /^[A-Za-z0-9]/.test(id)) expect(await workflowExists(id)).toBe(false);
    });
  });
});
