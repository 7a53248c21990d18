/**
 * The measurements of the intake benchmark, each against a running server (serve or floor):
 * closed-loop throughput, open-loop latency at an offered rate, and overload with recovery
 * (responses by status and serve's backlog, second by second).
 */
import { join } from "node:path";
import { inboxSize } from "./drain.js";
import { type LoadResult, quantile, runLoad } from "./load.js";
import { BENCH_DATASET, BENCH_TOKEN, type ServerProcess } from "./procs.js";

/** A server under test. */
export interface Target {
  readonly name: "serve" | "floor";
  readonly proc: ServerProcess;
  readonly url: string;
  /** The worker compacting serve's inbox, whose CPU is reported beside the server's (during floor runs too: it is their background). */
  readonly worker?: ServerProcess;
  /** Serve's `file://` store directory, whose inbox backlog is read at the start of every run (floor runs too). */
  readonly storeDir?: string;
}

/** One measured load run. */
export interface RunFigures {
  readonly recordsPerS: number;
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly acknowledged: number;
  readonly statuses: Record<string, number>;
  /** CPU cores the server used on average during the run. */
  readonly serverCores: number;
  /** CPU cores the compacting worker used on average during the run; null without one. */
  readonly workerCores: number | null;
  /** CPU time of the server per answered request, in µs (user + system, from /proc). */
  readonly serverCpuUsPerRequest: number;
  /** Serve's inbox backlog (MiB) when the run started; null without a store. */
  readonly backlogStartMib: number | null;
  readonly seconds: number;
}

/** Shape of a load run. */
export interface Shape {
  readonly clients: number;
  readonly batch: number;
  readonly seconds: number;
  readonly records: number;
  readonly rate?: number;
  /** A refused (429/503) request is counted and not sent again. */
  readonly dropRefused?: boolean;
}

let runCounter = 0;

/** Runs one load against `t`, logging acknowledgements under `logDir` (serve only, for the final check). */
export async function measure(t: Target, shape: Shape, logDir: string, logs: string[]): Promise<RunFigures & { raw: LoadResult }> {
  const logPath = t.name === "serve" ? join(logDir, `acks-${++runCounter}.ndjson`) : undefined;
  if (logPath) logs.push(logPath);
  const backlogStartMib = t.storeDir ? (await inboxSize(t.storeDir, BENCH_DATASET)).mib : null;
  const cpu0 = t.proc.cpuSeconds();
  const workerCpu0 = t.worker?.cpuSeconds();
  const r = await runLoad({
    url: t.url, dataset: "events", token: BENCH_TOKEN, clients: shape.clients, batch: shape.batch, records: shape.records, seconds: shape.seconds,
    ratePerSecond: shape.rate, dropRefused: shape.dropRefused, logPath, keepIds: false,
  });
  const s = r.elapsedMs / 1000;
  const cpu = t.proc.cpuSeconds() - cpu0;
  const answered = Object.entries(r.statuses).filter(([k]) => k !== "error").reduce((a, [, n]) => a + n, 0);
  return {
    recordsPerS: r.acknowledgedCount / s,
    requestsPerS: r.latenciesMs.length / s,
    p50Ms: quantile(r.latenciesMs, 0.5),
    p99Ms: quantile(r.latenciesMs, 0.99),
    acknowledged: r.acknowledgedCount,
    statuses: r.statuses,
    serverCores: cpu / s,
    workerCores: t.worker && workerCpu0 !== undefined ? (t.worker.cpuSeconds() - workerCpu0) / s : null,
    serverCpuUsPerRequest: answered ? (cpu * 1e6) / answered : 0,
    backlogStartMib,
    seconds: s,
    raw: r,
  };
}

/** What the overload phase found. */
export interface OverloadFigures {
  readonly offeredRecordsPerS: number;
  /** Records/s actually offered (sent at least once) by the generator. */
  readonly sentRecordsPerS: number;
  readonly acknowledgedRecordsPerS: number;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  /** Share of all responses that were 429. */
  readonly share429: number;
  /** Share of the 429s that carried Retry-After. */
  readonly share429WithRetryAfter: number;
  readonly generatorLateStarts: number;
  readonly servePeakRssMb: number;
  /** Peak RSS (VmHWM) of the compacting worker over the overload and recovery; null without one. */
  readonly workerPeakRssMb: number | null;
  /** CPU cores of serve and of the worker on average over the overload phase. */
  readonly overloadCores: { readonly serve: number; readonly worker: number | null };
  /** Responses by status in each second of the overload phase. */
  readonly overloadStatuses: Array<Record<string, number>>;
  /** Responses by status in each second of the recovery phase. */
  readonly recoveryStatuses: Array<Record<string, number>>;
  /** Serve's view of the inbox backlog (its /metrics), sampled every second from the start of the overload. */
  readonly backlog: BacklogSample[];
  /** Seconds after the overload ended until a 1-s window reached 90 % of the full rate; null if never within the window. */
  readonly recoverySeconds: number | null;
  /** Records/s in each second of the recovery phase. */
  readonly recoveryRates: number[];
  readonly fullRate: number;
}

/** Serve's view of the backlog at `s` seconds since the overload began; null when /metrics did not answer. */
export interface BacklogSample {
  readonly s: number;
  readonly mb: number | null;
  readonly fragments: number | null;
  /** Compactions serve had requested from Temporal by then (its counter since it started), by outcome; null when /metrics did not answer. */
  readonly requests: { readonly sent: number; readonly failed: number } | null;
}

function gauge(text: string, name: string): number | null {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : null;
}

/** Sum of a counter's samples whose labels include `outcome="<outcome>"`. */
function outcomeTotal(text: string, name: string, outcome: string): number {
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))) if (m[1].includes(`outcome="${outcome}"`)) total += Number(m[2]);
  return total;
}

/** Samples serve's `/metrics` backlog gauges and compaction requests every second until `stop` is called. */
function sampleBacklog(url: string): { stop: () => Promise<BacklogSample[]> } {
  const samples: BacklogSample[] = [];
  const t0 = performance.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = Math.round((performance.now() - t0) / 100) / 10;
      try {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        const bytes = gauge(text, "tidemark_intake_backlog_bytes");
        const requests = { sent: outcomeTotal(text, "tidemark_intake_compaction_requests_total", "sent"), failed: outcomeTotal(text, "tidemark_intake_compaction_requests_total", "failed") };
        samples.push({ s, mb: bytes === null ? null : Math.round(bytes / 104857.6) / 10, fragments: gauge(text, "tidemark_intake_backlog_fragments"), requests });
      } catch {
        samples.push({ s, mb: null, fragments: null, requests: null });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - ((performance.now() - t0) % 1000))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Seconds from the start until the first 1-s window holding at least `target` acknowledged records; null if none. */
export function firstFullSecond(acks: ReadonlyArray<readonly [number, number]>, elapsedMs: number, target: number): number | null {
  const sorted = [...acks].sort((a, b) => a[0] - b[0]);
  let j = 0;
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i][0];
    if (from + 1000 > elapsedMs) break;
    while (j < sorted.length && sorted[j][0] < from + 1000) sum += sorted[j++][1];
    if (sum >= target) return from / 1000;
    sum -= sorted[i][1];
  }
  return null;
}

/**
 * Offers `factor` × `capacity` records/s (open loop, refused requests not re-sent) for `seconds`,
 * then (starting when the offered load stops, while the overload's last requests may still be
 * answered) the closed-loop `full` shape for `recoverSeconds`, and finds when the rate is back.
 */
export async function overload(t: Target, capacity: number, factor: number, seconds: number, full: Shape, fullRate: number, recoverSeconds: number, logDir: string, logs: string[]): Promise<OverloadFigures> {
  t.proc.resetPeak();
  t.worker?.resetPeak();
  const backlog = sampleBacklog(t.url);
  const offered = capacity * factor;
  const overRun = measure(t, { clients: 512, batch: full.batch, seconds, records: Math.ceil(offered * seconds * 1.1), rate: offered, dropRefused: true }, logDir, logs);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await measure(t, { ...full, seconds: recoverSeconds }, logDir, logs);
  const over = await overRun;
  const peak = t.proc.peakRssMb();
  const workerPeak = t.worker ? t.worker.peakRssMb() : null;
  const perSecond = new Array<number>(Math.ceil(recoverSeconds)).fill(0);
  for (const [ms, n] of after.raw.acks) perSecond[Math.min(perSecond.length - 1, Math.floor(ms / 1000))] += n;
  const recovery = firstFullSecond(after.raw.acks, after.raw.elapsedMs, 0.9 * fullRate);
  const responses = Object.entries(over.statuses).filter(([k]) => k !== "error").reduce((a, [, n]) => a + n, 0);
  const n429 = over.statuses["429"] ?? 0;
  return {
    offeredRecordsPerS: offered,
    sentRecordsPerS: (over.raw.requests * full.batch) / over.seconds,
    acknowledgedRecordsPerS: over.recordsPerS,
    requests: over.raw.requests,
    statuses: over.statuses,
    share429: responses ? n429 / responses : 0,
    share429WithRetryAfter: n429 ? over.raw.retryAfter429 / n429 : 0,
    generatorLateStarts: over.raw.lateStarts,
    servePeakRssMb: peak,
    workerPeakRssMb: workerPeak,
    overloadCores: { serve: over.serverCores, worker: over.workerCores },
    overloadStatuses: over.raw.statusesPerSecond,
    recoveryStatuses: after.raw.statusesPerSecond,
    backlog: await backlog.stop(),
    recoverySeconds: recovery,
    recoveryRates: perSecond,
    fullRate,
  };
}
