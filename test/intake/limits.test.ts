import { afterAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { TOKENS, click, fragments, listing, metric, ndjson, ndjsonHeaders, request, startBed, tempDir, until } from "./bed";

const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

function fsStore(label: string): FsObjectStore {
  const t = tempDir(label);
  dirs.push(t.cleanup);
  return new FsObjectStore(t.dir);
}

/** A store whose writes (of keys under `under`, when given) fail while `failing` is set; counts the writes it refused. */
function failingStore(inner: ObjectStore, under?: string): { store: ObjectStore; refused: () => number; fail(on: boolean): void } {
  let failing = false;
  let refused = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if ((prop === "put" || prop === "putStream") && failing) {
        return async (key: string, ...rest: unknown[]) => {
          if (under !== undefined && !key.includes(under)) return (target[prop] as (...a: unknown[]) => unknown).call(target, key, ...rest);
          refused++;
          throw new StoreUnavailableError("the test store refuses writes");
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, refused: () => refused, fail: (on) => (failing = on) };
}

describe("push intake bounds", () => {
  it("answers 429 with Retry-After when a token is over its rate, and writes nothing for it", async () => {
    const store = fsStore("rate");
    const bed = await startBed(store, { ratePerSecond: 0.001, rateBurst: 2, groupDelayMs: 1 });
    try {
      for (const id of ["r1", "r2"]) expect((await bed.post("/v1/datasets/clicks/records", ndjson([click(id)]), ndjsonHeaders(TOKENS.clicks))).status).toBe(202);
      const before = await listing(store);
      const res = await bed.post("/v1/datasets/clicks/records", ndjson([click("r3")]), ndjsonHeaders(TOKENS.clicks));
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(res.body.error).toMatch(/^This token is over its rate of 0.001 requests per second; retry after \d+ s\.$/);
      expect(await listing(store)).toEqual(before);
      const otherToken = await bed.post("/v1/datasets/clicks/records", ndjson([click("r4")]), ndjsonHeaders(TOKENS.all));
      expect(otherToken.status).toBe(202);
    } finally {
      await bed.close();
    }
  });

  it("answers 429 with Retry-After when the dataset's backlog is over its bound", async () => {
    const store = fsStore("backlog");
    const bed = await startBed(store, { maxBacklogBytes: 300, groupDelayMs: 1 });
    try {
      const big = ndjson([click("b1"), click("b2"), click("b3"), click("b4")]);
      expect((await bed.post("/v1/datasets/clicks/records", big, ndjsonHeaders(TOKENS.clicks))).status).toBe(202);
      const inbox = await listing(store, "datasets/clicks/inbox/");
      expect(inbox).toHaveLength(1);
      expect(Number(inbox[0].split(" ")[1])).toBeGreaterThanOrEqual(300);
      const res = await bed.post("/v1/datasets/clicks/records", ndjson([click("b5")]), ndjsonHeaders(TOKENS.clicks));
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.body.error).toMatch(/^Dataset "clicks" has \d+ bytes of records waiting for compaction, over its bound of 300; retry later\.$/);
      expect(await listing(store, "datasets/clicks/inbox/")).toEqual(inbox);
      const ready = await request(bed.url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toMatchObject({ store: "ok", temporal: "ok", backlog: "over its bound: clicks" });
      expect(await metric(bed.url, "tidemark_intake_backlog_fragments", 'dataset="clicks"')).toBe(1);
    } finally {
      await bed.close();
    }
  });

  it("says when fragment writes fail though the store takes other writes: one warning, /readyz not ready, then the recovery", async () => {
    const failing = failingStore(fsStore("503-inbox"), "/inbox/");
    const warnings: string[] = [];
    const bed = await startBed(failing.store, { groupDelayMs: 1 }, { warn: (line) => warnings.push(line) });
    try {
      failing.fail(true);
      for (const id of ["g1", "g2"]) expect((await bed.post("/v1/datasets/clicks/records", ndjson([click(id)]), ndjsonHeaders(TOKENS.clicks))).status).toBe(503);
      expect(failing.refused()).toBe(2);
      expect(warnings).toEqual(['fragment writes of dataset "clicks" fail, so its records get 503: the test store refuses writes; check the store (TIDEMARK_STORE) and its permissions.']);
      const ready = await request(bed.url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toMatchObject({ store: "fragment writes fail (clicks: the test store refuses writes)" });
      failing.fail(false);
      expect((await bed.post("/v1/datasets/clicks/records", ndjson([click("g1")]), ndjsonHeaders(TOKENS.clicks))).status).toBe(202);
      expect(warnings[1]).toMatch(/^fragment writes of dataset "clicks" work again after \d+ s\.$/);
      expect((await request(bed.url, "GET", "/readyz")).body.checks).toMatchObject({ store: "ok" });
    } finally {
      await bed.close();
    }
  });

  it("answers 503 to every request of a group whose fragment cannot be written, acknowledges nothing, and recovers", async () => {
    const failing = failingStore(fsStore("503"));
    const bed = await startBed(failing.store, { groupDelayMs: 1 });
    try {
      failing.fail(true);
      const results = await Promise.all(["f1", "f2", "f3"].map((id) => bed.post("/v1/datasets/clicks/records", ndjson([click(id)]), ndjsonHeaders(TOKENS.clicks))));
      expect(failing.refused()).toBeGreaterThanOrEqual(1);
      for (const r of results) {
        expect(r.status).toBe(503);
        expect(r.body.error).toBe('The store could not be written, so the records for dataset "clicks" were not accepted; send them again later.');
        expect(r.body).not.toHaveProperty("fragment");
      }
      expect(await listing(failing.store, "datasets/")).toEqual([]);
      expect(await metric(bed.url, "tidemark_intake_records_accepted_total", 'dataset="clicks"')).toBe(0);
      const ready = await request(bed.url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toMatchObject({ store: "not writable: the test store refuses writes" });
      failing.fail(false);
      const again = await bed.post("/v1/datasets/clicks/records", ndjson([click("f1")]), ndjsonHeaders(TOKENS.clicks));
      expect(again.status).toBe(202);
      expect(await listing(failing.store, "datasets/clicks/inbox/")).toHaveLength(1);
    } finally {
      await bed.close();
    }
  });

  it("serves /healthz, /readyz and /metrics without a token", async () => {
    const bed = await startBed(fsStore("ops"), { groupDelayMs: 1 });
    try {
      expect(await request(bed.url, "GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
      expect(await request(bed.url, "GET", "/readyz")).toMatchObject({ status: 200, body: { ready: true, checks: { store: "ok", temporal: "ok", backlog: "ok" } } });
      expect((await bed.post("/v1/datasets/clicks/records", ndjson([click("m1"), click("m2")]), ndjsonHeaders(TOKENS.clicks))).status).toBe(202);
      expect((await bed.post("/v1/datasets/clicks/records", "nope\n", ndjsonHeaders(TOKENS.clicks))).status).toBe(400);
      await until("metrics to show the accepted records", async () => (await metric(bed.url, "tidemark_intake_records_accepted_total", 'dataset="clicks"')) === 2);
      expect(await metric(bed.url, "tidemark_intake_requests_rejected_total", 'reason="bad_record"')).toBe(1);
      expect(await metric(bed.url, "tidemark_intake_backlog_fragments", 'dataset="clicks"')).toBe(1);
      const text = await (await fetch(`${bed.url}/metrics`)).text();
      for (const name of ["tidemark_intake_request_duration_seconds_bucket", "tidemark_intake_group_records_bucket", "tidemark_intake_backlog_bytes", "tidemark_intake_backlog_oldest_age_seconds"]) {
        expect(text).toContain(name);
      }
    } finally {
      await bed.close();
    }
  });
});

describe("server-wide body budget", () => {
  it("answers 429 to a request whose body would take the server over its budget while it holds another", async () => {
    const store = fsStore("budget");
    const bed = await startBed(store, { maxServerBytes: 300, groupDelayMs: 600_000 });
    let closed = false;
    try {
      const first = ndjson([click("h1"), click("h2")]);
      const second = ndjson([click("h3"), click("h4")]);
      expect(Buffer.byteLength(first)).toBeLessThanOrEqual(300);
      expect(Buffer.byteLength(first) + Buffer.byteLength(second)).toBeGreaterThan(300);
      const held = bed.post("/v1/datasets/clicks/records", first, ndjsonHeaders(TOKENS.clicks));
      await until("the first request to wait in its group", async () => (await metric(bed.url, "tidemark_intake_pending_records", 'dataset="clicks"')) === 2);
      const refused = await bed.post("/v1/datasets/clicks/records", second, ndjsonHeaders(TOKENS.all));
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(refused.body.error).toMatch(/^The server is holding \d+ bytes of request bodies, its limit; retry after a moment\.$/);
      await bed.close();
      closed = true;
      expect(await held).toMatchObject({ status: 202, body: { accepted: 2 } });
      const stored = await fragments(store, "clicks");
      expect([...stored.values()].flat().map((r) => r.id)).toEqual(["h1", "h2"]);
    } finally {
      if (!closed) await bed.close();
    }
  });

  it("answers 429 with Retry-After to a request beyond the most requests the server handles at once; the held requests are still written and acknowledged", async () => {
    const store = fsStore("requests");
    const bed = await startBed(store, { maxRequests: 2, groupDelayMs: 600_000 });
    let closed = false;
    try {
      const held = [bed.post("/v1/datasets/clicks/records", ndjson([click("r1")]), ndjsonHeaders(TOKENS.clicks)), bed.post("/v1/datasets/clicks/records", ndjson([click("r2")]), ndjsonHeaders(TOKENS.all))];
      await until("both requests to wait in their group", async () => (await metric(bed.url, "tidemark_intake_pending_records", 'dataset="clicks"')) === 2);
      const refused = await bed.post("/v1/datasets/clicks/records", ndjson([click("r3")]), ndjsonHeaders(TOKENS.clicks));
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(refused.body.error).toBe("The server is handling 2 requests, its limit; retry after a moment.");
      await bed.close();
      closed = true;
      expect((await Promise.all(held)).map((r) => r.status)).toEqual([202, 202]);
      const stored = await fragments(store, "clicks");
      expect([...stored.values()].flat().map((r) => r.id).sort()).toEqual(["r1", "r2"]);
    } finally {
      if (!closed) await bed.close();
    }
  });

  it("frees a request's share once it is answered, so sequential requests over the budget in total all pass", async () => {
    const bed = await startBed(fsStore("budget-free"), { maxServerBytes: 300, groupDelayMs: 1 });
    try {
      for (const id of ["q1", "q2", "q3"]) {
        const res = await bed.post("/v1/datasets/clicks/records", ndjson([click(`${id}a`), click(`${id}b`)]), ndjsonHeaders(TOKENS.clicks));
        expect(res.status, JSON.stringify(res.body)).toBe(202);
      }
      expect((await bed.post("/v1/datasets/clicks/records", "nope\n", ndjsonHeaders(TOKENS.clicks))).status).toBe(400);
      expect((await bed.post("/v1/datasets/clicks/records", ndjson([click("q4a"), click("q4b")]), ndjsonHeaders(TOKENS.clicks))).status).toBe(202);
    } finally {
      await bed.close();
    }
  });
});
