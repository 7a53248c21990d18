/**
 * Load generator for `tidemark serve`: `clients` concurrent loops POST NDJSON batches of records
 * with unique ids to one dataset and log every acknowledged record id with its fragment, so
 * benchmarks and crash tests can check that each acknowledged record is present exactly once.
 * Closed loop by default (each client sends its next request when the last one is answered); with
 * `ratePerSecond` the requests are offered on a fixed schedule (open loop) and latency counts from
 * each request's scheduled time. A request that is refused (429, 503) or lost (connection reset,
 * server killed) is sent again with the same records until acknowledged or the run ends, unless
 * `dropRefused` (overload runs: a refused request is counted and not sent again). Loopback only;
 * bounded by record count and time.
 *
 * CLI: node dist/bench/intake/load.js --url http://127.0.0.1:8080 --dataset events --token T
 *        [--clients 16] [--batch 100] [--records 100000] [--seconds 60] [--record-bytes 150]
 *        [--rate <records/s>] [--log acks.ndjson]
 * The default records fit bench/intake/events.yaml.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { Agent, request } from "node:http";

/** Settings of one load run. */
export interface LoadOptions {
  /** Base URL of the server; must be a loopback address. */
  readonly url: string;
  readonly dataset: string;
  readonly token: string;
  /** Concurrent client loops (= connections). */
  readonly clients: number;
  /** Records per request. */
  readonly batch: number;
  /** Records to generate in total (upper bound). */
  readonly records: number;
  /** Longest run in seconds; a request in flight at the end is still awaited (bounded by its timeout). */
  readonly seconds: number;
  /** Approximate size of one record in bytes (default 150). */
  readonly recordBytes?: number;
  /** Makes the record with `id` (default: the events.yaml shape). */
  readonly makeRecord?: (id: string, seq: number) => object;
  /** Appends `{"id","fragment","ms"}` lines for every acknowledged record. */
  readonly logPath?: string;
  /** Per-request timeout in ms (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Offered load in records per second (open loop); unset: closed loop. */
  readonly ratePerSecond?: number;
  /** A refused (429/503) request is not sent again (it counts as unacknowledged). */
  readonly dropRefused?: boolean;
  /** Prefix of the record ids (default: 8 random hex digits), so runs never share ids. */
  readonly runId?: string;
  /** Keep the ids in the result (default true); false keeps only the counts (and the log), for long runs. */
  readonly keepIds?: boolean;
}

/** What a load run did, by its own count. */
export interface LoadResult {
  /** Every acknowledged record id, with the fragment the server named. */
  readonly acknowledged: Map<string, string>;
  /** Records generated but never acknowledged (refused, lost, or pending when time ran out). */
  readonly unacknowledged: string[];
  /** Number of acknowledged records (also when ids are not kept). */
  readonly acknowledgedCount: number;
  /** Number of records never acknowledged (also when ids are not kept). */
  readonly unacknowledgedCount: number;
  readonly requests: number;
  /** Responses by status ("error" for a request that got no response). */
  readonly statuses: Record<string, number>;
  /** Responses by status in each second of the run (index: whole seconds since the start). */
  readonly statusesPerSecond: Array<Record<string, number>>;
  /** 429 responses that carried a Retry-After header. */
  readonly retryAfter429: number;
  /** Acknowledgement latency of each acknowledged request, in ms (open loop: from its scheduled time). */
  readonly latenciesMs: number[];
  /** For each acknowledged request: ms since the run started when it was acknowledged, and its record count. */
  readonly acks: Array<[number, number]>;
  /** Open loop: requests whose scheduled time had passed by more than a second before a client was free to send them. */
  readonly lateStarts: number;
  readonly elapsedMs: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Refuses any URL that is not a loopback address. */
export function requireLoopback(url: string): URL {
  const u = new URL(url);
  if (!LOOPBACK.has(u.hostname)) throw new Error(`The load generator only talks to loopback addresses; ${u.hostname} is not one.`);
  return u;
}

/** NDJSON lines of `ids` in the events.yaml shape, each about `recordBytes` long. */
function defaultLines(recordBytes: number): (ids: string[], first: number) => string {
  return (ids, first) => {
    const at = new Date().toISOString();
    let out = "";
    for (let k = 0; k < ids.length; k++) {
      const head = `{"id":"${ids[k]}","at":"${at}","seq":${first + k},"payload":"`;
      out += `${head}${"x".repeat(Math.max(0, recordBytes - head.length - 3))}"}\n`;
    }
    return out;
  };
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

function post(agent: Agent, url: URL, path: string, token: string, body: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path, method: "POST", timeout: timeoutMs, headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(h) ? h[0] : h, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the load and returns its own record of what was acknowledged. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const base = requireLoopback(o.url);
  const path = `/v1/datasets/${encodeURIComponent(o.dataset)}/records`;
  const custom = o.makeRecord;
  const lines = custom ? (ids: string[], first: number) => ids.map((id, k) => JSON.stringify(custom(id, first + k))).join("\n") + "\n" : defaultLines(o.recordBytes ?? 150);
  const run = o.runId ?? randomBytes(4).toString("hex");
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const acknowledged = new Map<string, string>();
  const unacknowledged: string[] = [];
  const statuses: Record<string, number> = {};
  const statusesPerSecond: Array<Record<string, number>> = [];
  const count = (status: string) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    const bucket = (statusesPerSecond[Math.floor((performance.now() - started) / 1000)] ??= {});
    bucket[status] = (bucket[status] ?? 0) + 1;
  };
  const latenciesMs: number[] = [];
  const acks: Array<[number, number]> = [];
  const keep = o.keepIds ?? true;
  let ackCount = 0;
  let unackCount = 0;
  let retryAfter429 = 0;
  let lateStarts = 0;
  let generated = 0;
  let requests = 0;
  let scheduled = 0;
  const interval = o.ratePerSecond ? (1000 * o.batch) / o.ratePerSecond : 0;
  const log: WriteStream | undefined = o.logPath ? createWriteStream(o.logPath, { flags: "a" }) : undefined;
  let draining: Promise<unknown> | undefined;
  const drained = () => (draining ??= once(log!, "drain").finally(() => (draining = undefined)));

  const client = async (c: number) => {
    for (;;) {
      let due = performance.now();
      if (interval > 0) {
        due = started + scheduled++ * interval;
        if (due >= deadline) return;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -1000) lateStarts++;
      }
      if (performance.now() >= deadline || generated >= o.records) return;
      const n = Math.min(o.batch, o.records - generated);
      const first = generated;
      generated += n;
      const ids = Array.from({ length: n }, (_, k) => `${run}-${c}-${first + k}`);
      const body = lines(ids, first);
      let done = false;
      let t0 = interval > 0 ? due : performance.now();
      while (!done && performance.now() < deadline) {
        requests++;
        try {
          const res = await post(agent, base, path, o.token, body, o.requestTimeoutMs ?? 30_000);
          count(String(res.status));
          let answer: { fragment?: string; accepted?: number } = {};
          if (res.status === 202) answer = JSON.parse(res.body) as typeof answer;
          if (res.status === 202 && answer.fragment && answer.accepted === n) {
            const now = performance.now();
            latenciesMs.push(now - t0);
            acks.push([now - started, n]);
            const ms = Date.now();
            ackCount += n;
            if (keep) for (const id of ids) acknowledged.set(id, answer.fragment);
            if (log && !log.write(ids.map((id) => `{"id":"${id}","fragment":"${answer.fragment}","ms":${ms}}`).join("\n") + "\n")) await drained();
            done = true;
          } else if (res.status === 429 || res.status === 503) {
            if (res.status === 429 && res.retryAfter !== undefined) retryAfter429++;
            if (o.dropRefused) break;
            const wait = Math.min(Number(res.retryAfter ?? "1") * 1000, Math.max(0, deadline - performance.now()));
            await sleep(Math.max(10, wait));
            t0 = performance.now();
          } else {
            break;
          }
        } catch {
          count("error");
          await sleep(50);
          t0 = performance.now();
        }
      }
      if (!done) {
        unackCount += n;
        if (keep) unacknowledged.push(...ids);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  } finally {
    agent.destroy();
    if (log) await new Promise<void>((r) => log.end(r));
  }
  return { acknowledged, unacknowledged, acknowledgedCount: ackCount, unacknowledgedCount: unackCount, requests, statuses, statusesPerSecond: Array.from(statusesPerSecond, (b) => b ?? {}), retryAfter429, latenciesMs, acks, lateStarts, elapsedMs: performance.now() - started };
}

/** The `q` quantile (0–1) of unsorted values, or NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function flag(args: string[], name: string, fallback?: string): string {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required.`);
  return v;
}

async function cli(args: string[]): Promise<void> {
  const result = await runLoad({
    url: flag(args, "url"), dataset: flag(args, "dataset"), token: flag(args, "token"),
    clients: Number(flag(args, "clients", "16")), batch: Number(flag(args, "batch", "100")), records: Number(flag(args, "records", "100000")),
    seconds: Number(flag(args, "seconds", "60")), recordBytes: Number(flag(args, "record-bytes", "150")), logPath: args.includes("--log") ? flag(args, "log") : undefined,
    ratePerSecond: args.includes("--rate") ? Number(flag(args, "rate")) : undefined,
  });
  const secs = result.elapsedMs / 1000;
  const p = (q: number) => (result.latenciesMs.length ? quantile(result.latenciesMs, q).toFixed(1) : "n/a");
  process.stdout.write(
    `${JSON.stringify({ acknowledged: result.acknowledgedCount, unacknowledged: result.unacknowledgedCount, requests: result.requests, statuses: result.statuses, seconds: Number(secs.toFixed(2)), records_per_s: Math.round(result.acknowledgedCount / secs), p50_ms: p(0.5), p99_ms: p(0.99) })}\n`,
  );
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`load: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
