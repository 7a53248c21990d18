/**
 * Load generator for `tidemark serve`: `clients` concurrent loops POST NDJSON batches of records
 * with unique ids to one dataset and log every acknowledged record id with its fragment, so
 * benchmarks and crash tests can check that each acknowledged record is present exactly once.
 * A request that is refused (429, 503) or lost (connection reset, server killed) is sent again
 * with the same records until acknowledged or the run ends. Loopback only; bounded by record
 * count and time.
 *
 * CLI: node dist/bench/intake/load.js --url http://127.0.0.1:8080 --dataset events --token T
 *        [--clients 16] [--batch 100] [--records 100000] [--seconds 60] [--record-bytes 150] [--log acks.ndjson]
 * The default records fit bench/intake/events.yaml.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

/** Settings of one load run. */
export interface LoadOptions {
  /** Base URL of the server; must be a loopback address. */
  readonly url: string;
  readonly dataset: string;
  readonly token: string;
  /** Concurrent client loops. */
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
}

/** What a load run did, by its own count. */
export interface LoadResult {
  /** Every acknowledged record id, with the fragment the server named. */
  readonly acknowledged: Map<string, string>;
  /** Records generated but never acknowledged (refused, lost, or pending when time ran out). */
  readonly unacknowledged: string[];
  readonly requests: number;
  /** Responses by status ("error" for a request that got no response). */
  readonly statuses: Record<string, number>;
  /** Acknowledgement latency of each acknowledged request, in ms. */
  readonly latenciesMs: number[];
  readonly elapsedMs: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Refuses any URL that is not a loopback address. */
export function requireLoopback(url: string): URL {
  const u = new URL(url);
  if (!LOOPBACK.has(u.hostname)) throw new Error(`The load generator only talks to loopback addresses; ${u.hostname} is not one.`);
  return u;
}

function defaultRecord(recordBytes: number): (id: string, seq: number) => object {
  return (id, seq) => {
    const base = { id, at: new Date().toISOString(), seq, payload: "" };
    const pad = Math.max(0, recordBytes - JSON.stringify(base).length);
    return { ...base, payload: "x".repeat(pad) };
  };
}

/** Runs the load and returns its own record of what was acknowledged. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const base = requireLoopback(o.url);
  const endpoint = new URL(`/v1/datasets/${encodeURIComponent(o.dataset)}/records`, base).href;
  const make = o.makeRecord ?? defaultRecord(o.recordBytes ?? 150);
  const run = randomBytes(4).toString("hex");
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  const acknowledged = new Map<string, string>();
  const unacknowledged: string[] = [];
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let generated = 0;
  let requests = 0;
  const log: WriteStream | undefined = o.logPath ? createWriteStream(o.logPath, { flags: "a" }) : undefined;

  const client = async (c: number) => {
    while (performance.now() < deadline && generated < o.records) {
      const n = Math.min(o.batch, o.records - generated);
      const first = generated;
      generated += n;
      const ids = Array.from({ length: n }, (_, k) => `${run}-${c}-${first + k}`);
      const body = ids.map((id, k) => JSON.stringify(make(id, first + k))).join("\n") + "\n";
      let done = false;
      while (!done && performance.now() < deadline) {
        requests++;
        const t0 = performance.now();
        try {
          const res = await fetch(endpoint, {
            method: "POST", body, signal: AbortSignal.timeout(o.requestTimeoutMs ?? 30_000),
            headers: { authorization: `Bearer ${o.token}`, "content-type": "application/x-ndjson" },
          });
          const answer = (await res.json().catch(() => ({}))) as { fragment?: string; accepted?: number };
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 202 && answer.fragment && answer.accepted === n) {
            latenciesMs.push(performance.now() - t0);
            const ms = Date.now();
            for (const id of ids) acknowledged.set(id, answer.fragment);
            if (log && !log.write(ids.map((id) => JSON.stringify({ id, fragment: answer.fragment, ms })).join("\n") + "\n")) await once(log, "drain");
            done = true;
          } else if (res.status === 429 || res.status === 503) {
            const wait = Math.min(Number(res.headers.get("retry-after") ?? "1") * 1000, Math.max(0, deadline - performance.now()));
            await new Promise((r) => setTimeout(r, Math.max(10, wait)));
          } else {
            break;
          }
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      if (!done) unacknowledged.push(...ids);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  if (log) await new Promise<void>((r) => log.end(r));
  return { acknowledged, unacknowledged, requests, statuses, latenciesMs, elapsedMs: performance.now() - started };
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
  });
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const p = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1) : "n/a");
  const secs = result.elapsedMs / 1000;
  process.stdout.write(
    `${JSON.stringify({ acknowledged: result.acknowledged.size, unacknowledged: result.unacknowledged.length, requests: result.requests, statuses: result.statuses, seconds: Number(secs.toFixed(2)), records_per_s: Math.round(result.acknowledged.size / secs), p50_ms: p(0.5), p99_ms: p(0.99) })}\n`,
  );
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`load: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
