/** The intake benchmark's results as JSON and Markdown (bench/results/intake.md). */
import type { AckCheck } from "./check.js";
import type { DrainFigures } from "./drain.js";
import type { OverloadFigures, RunFigures, Shape } from "./scenarios.js";

type Runs = Record<string, Array<Omit<RunFigures, "raw">>>;

/** Everything one run of `npm run bench:intake` measured. */
export interface IntakeReport {
  readonly commit: string;
  readonly date: string;
  readonly quick: boolean;
  readonly runs: number;
  readonly seconds: number;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGb: number;
  /** 1-minute load average, sampled every 5 s during the run. */
  readonly loadAverage: number[];
  readonly serveFlags: string[];
  readonly shapes: Record<string, Shape>;
  readonly a: Runs;
  readonly b: Runs;
  /** Shape b again with the worker's threads at nice 10 (null when the nice value could not be set). */
  readonly bNice: Runs | null;
  readonly d: Runs;
  /** The wait for serve's inbox to drain before each scenario's first measured run (a, b, b at nice 10, d) and before the probe (e). */
  readonly drains: Record<"a" | "b" | "d" | "e", DrainFigures> & { readonly bNice: DrainFigures | null };
  /** Bound of each wait, in seconds. */
  readonly drainSeconds: number;
  readonly probe: Omit<RunFigures, "raw">;
  readonly capacity: number;
  readonly overload: OverloadFigures;
  readonly overloadSeconds: number;
  readonly check: AckCheck;
  readonly serveExit: number | null;
  /** Peak RSS (VmHWM) of the compacting worker from its start until the overload (a, b, d and the probe). */
  readonly workerPeakRssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const verdict = (ok: boolean) => (ok ? "**met**" : "**missed**");
const all = (rs: Array<Omit<RunFigures, "raw">>, f: (r: Omit<RunFigures, "raw">) => number, fmt: (n: number) => string) => rs.map((r) => fmt(f(r))).join(", ");

const drainText = (k: string, d: DrainFigures) => `${k} ${d.startMib} → ${d.endMib} MiB in ${d.seconds.toFixed(1)} s${d.drained ? "" : " (not drained)"}`;

const perSecond = (xs: Array<Record<string, number>>) =>
  xs.map((b, i) => `${i} s ${Object.entries(b).map(([k, n]) => `${k}×${n}`).join(" ") || "none"}`).join("; ");

/** The Markdown report. */
export function renderMarkdown(r: IntakeReport): string {
  const aServe = median(r.a.serve.map((x) => x.recordsPerS));
  const aFloor = median(r.a.floor.map((x) => x.recordsPerS));
  const bServe = median(r.b.serve.map((x) => x.requestsPerS));
  const bFloor = median(r.b.floor.map((x) => x.requestsPerS));
  const dServe = median(r.d.serve.map((x) => x.p99Ms));
  const dFloor = median(r.d.floor.map((x) => x.p99Ms));
  const dRate = median(r.d.serve.map((x) => x.recordsPerS));
  const o = r.overload;
  const c = r.check;
  const loads = r.loadAverage;
  const lines = [
    `# Push intake benchmark${r.quick ? " (quick: not a result)" : ""}`,
    "",
    `Commit measured: \`${r.commit}\`, ${r.date}. \`npm run bench:intake\`${r.quick ? " -- --quick" : ""}.`,
    `Machine: ${r.cpus} × ${r.cpuModel}, ${r.memGb} GB, Node ${r.node}; 1-min load average during the run (other engineers share the machine): min ${Math.min(...loads).toFixed(2)}, median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (${loads.length} samples, every 5 s).`,
    `One \`tidemark serve\` process (\`${r.serveFlags.join(" ")}\`: the per-token rate limit out of the way; ${r.serveFlags.length > 4 ? "the rest as given, everything else default" : "everything else default"}) on a \`file://\` store, and the floor (bench/intake/floor.ts: node:http, each group of bodies appended to one file and fsynced, no validation) as separate processes; the load generator (bench/intake/load.ts, node:http keep-alive, 150-byte records) in the bench process. One \`tidemark worker\` (child process) compacts on a Temporal dev server (child process); serve requests compactions with its default triggers. Loopback only. Medians of ${r.runs} runs of ${r.seconds} s, serve and floor runs interleaved.`,
    `Method per scenario (a, b, d): a warm-up run on serve and on the floor, then the bench waits (at most ${r.drainSeconds} s, polling every 0.5 s) until serve's inbox directory holds no fragment, i.e. the worker compacted everything earlier runs left, then the measured runs alternate serve, floor, serve, floor, ...; the runs of one scenario leave their own backlog for the next run, which serve and floor runs share (the backlog at the start of every run and the worker's cores during it are in the table below). The probe and overload (e) start after the same wait.${r.bNice ? " After b, shape b runs again (warm-up, drain, interleaved runs) with every thread of the worker at nice 10 (setpriority, set back to 0 afterwards): a separate row, the default is b's." : ""} Drains: ${(["a", "b", "bNice", "d", "e"] as const).flatMap((k) => (r.drains[k] ? [drainText(k === "bNice" ? "b at nice 10" : k, r.drains[k])] : [])).join("; ")}.`,
    "",
    "| goal | serve | floor (same run) | ratio serve/floor | goal | verdict |",
    "|---|---|---|---|---|---|",
    `| a. records/s acknowledged durably, 16 clients × 100 records/request | ${int(aServe)} | ${int(aFloor)} | ${(aServe / aFloor).toFixed(2)} | ≥ 20,000/s and ratio ≥ 0.5 | ${verdict(aServe >= 20000)} / ${verdict(aServe / aFloor >= 0.5)} |`,
    `| b. requests/s, ${r.shapes.b.clients} clients × 1 record/request | ${int(bServe)} | ${int(bFloor)} | ${(bServe / bFloor).toFixed(2)} | ≥ 5,000/s and ratio ≥ 0.5 | ${verdict(bServe >= 5000)} / ${verdict(bServe / bFloor >= 0.5)} |`,
    ...(r.bNice
      ? [(() => {
          const s = median(r.bNice.serve.map((x) => x.requestsPerS));
          const f = median(r.bNice.floor.map((x) => x.requestsPerS));
          return `| b, separate row: the same with the worker's threads at nice 10 (lower CPU priority; not the default) | ${int(s)} | ${int(f)} | ${(s / f).toFixed(2)} | ≥ 5,000/s and ratio ≥ 0.5 | ${verdict(s >= 5000)} / ${verdict(s / f >= 0.5)} |`;
        })()]
      : []),
    `| d. p99 acknowledgement latency at an offered 10,000 records/s (open loop, ${r.shapes.d.clients} connections, ${r.shapes.d.batch} records/request, from each request's scheduled time) | ${ms(dServe)} ms (acknowledged ${int(dRate)} records/s) | ${ms(dFloor)} ms | — | ≤ 50 ms | ${verdict(dServe <= 50)} |`,
    `| e. overload: 3 × capacity (${int(o.offeredRecordsPerS)} records/s offered) for ${r.overloadSeconds} s: share of 429 responses with Retry-After | ${(100 * o.share429WithRetryAfter).toFixed(1)} % of ${int(o.statuses["429"] ?? 0)} 429s (${(100 * o.share429).toFixed(1)} % of all responses) | — | — | 429 with Retry-After | ${verdict((o.statuses["429"] ?? 0) > 0 && o.share429WithRetryAfter === 1)} |`,
    `| e. serve peak RSS (VmHWM) over the overload and recovery | ${o.servePeakRssMb} MB | — | — | ≤ 300 MB | ${verdict(o.servePeakRssMb <= 300)} |`,
    `| e. worker peak RSS (VmHWM) over the overload and recovery; before it | ${o.workerPeakRssMb ?? "n/a"} MB; ${r.workerPeakRssMb} MB | — | — | — | — |`,
    `| e. acknowledged records found in the current version's projection (DuckDB) or in inbox fragments no version consumed (every run of the bench, read back after serve and worker stopped) | ${int(c.acknowledged - c.missing - c.elsewhere)} of ${int(c.acknowledged)}; missing ${c.missing}, in another fragment ${c.elsewhere}, found twice ${c.duplicated} | — | — | all, exactly once | ${verdict(c.missing === 0 && c.elsewhere === 0 && c.duplicated === 0)} |`,
    `| e. time to full rate (a 1-s window ≥ 90 % of a's median, ${int(o.fullRate)} records/s) after the load drops | ${o.recoverySeconds === null ? "not within 15 s" : `${o.recoverySeconds.toFixed(2)} s`} | — | — | ≤ 10 s | ${verdict(o.recoverySeconds !== null && o.recoverySeconds <= 10)} |`,
    "",
    "All runs (records/s; requests/s; p50 / p99 ms; CPU cores of the server and of the compacting worker; the server's CPU µs per answered request; serve's inbox backlog when the run started):",
    "",
    "| shape | target | records/s | requests/s | p50 ms | p99 ms | server cores | worker cores | server CPU µs/request | backlog at start MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [key, runs] of [["a", r.a], ["b", r.b], ["b, worker at nice 10", r.bNice ?? {}], ["d", r.d]] as const) {
    if (Object.keys(runs).length === 0) continue;
    for (const t of ["serve", "floor"]) {
      const rs = runs[t] ?? [];
      lines.push(`| ${key} | ${t} | ${all(rs, (x) => x.recordsPerS, int)} | ${all(rs, (x) => x.requestsPerS, int)} | ${all(rs, (x) => x.p50Ms, ms)} | ${all(rs, (x) => x.p99Ms, ms)} | ${all(rs, (x) => x.serverCores, (n) => n.toFixed(2))} | ${rs.map((x) => (x.workerCores === null ? "—" : x.workerCores.toFixed(2))).join(", ")} | ${all(rs, (x) => x.serverCpuUsPerRequest, int)} | ${rs.map((x) => x.backlogStartMib ?? "—").join(", ")} |`);
    }
  }
  lines.push(
    "",
    `Capacity for e: the larger of a's serve median and a probe with 128 clients × 100 records/request (${int(r.probe.recordsPerS)} records/s, p99 ${ms(r.probe.p99Ms)} ms) = ${int(r.capacity)} records/s.`,
    `Overload phase: ${o.requests.toLocaleString("en-US")} requests from up to 512 connections, refused requests not re-sent; the generator sent ${int(o.sentRecordsPerS)} records/s (of ${int(o.offeredRecordsPerS)} offered; ${o.generatorLateStarts} requests started over 1 s late), serve acknowledged ${int(o.acknowledgedRecordsPerS)} records/s using ${o.overloadCores.serve.toFixed(2)} cores (worker ${o.overloadCores.worker === null ? "n/a" : o.overloadCores.worker.toFixed(2)}); responses ${JSON.stringify(o.statuses)}.`,
    `Overload responses per second: ${perSecond(o.overloadStatuses)}.`,
    `Recovery phase (16 clients × 100 records/request, closed loop, from the moment the offered load stopped), records/s per second: ${o.recoveryRates.map(int).join(", ")}; responses per second: ${perSecond(o.recoveryStatuses)}.`,
    `Serve's backlog (its /metrics: MiB / fragments) every second from the start of the overload: ${o.backlog.map((b) => `${b.s.toFixed(0)} s ${b.mb ?? "?"}/${b.fragments ?? "?"}`).join(", ")}.`,
    `Compactions serve requested from Temporal during that time (its counter, from the first sample): ${requestsText(o.backlog)}.`,
    `Read-back: ${int(c.published)} rows in the current projection (${c.versions} versions consumed ${int(c.consumedFragments)} fragments) + ${int(c.inInbox)} records in ${int(c.fragments)} unconsumed inbox fragments; serve exited ${r.serveExit} on SIGTERM.${c.examples.length ? ` Examples: ${c.examples.join("; ")}` : ""}`,
    "",
  );
  return lines.join("\n");
}

/** The compaction requests serve sent and failed between the first and last backlog samples, and the longest stretch without a sent one. */
function requestsText(samples: ReadonlyArray<{ s: number; requests: { sent: number; failed: number } | null }>): string {
  const seen = samples.filter((b) => b.requests !== null);
  if (seen.length < 2) return "not sampled";
  const first = seen[0].requests!;
  const last = seen[seen.length - 1].requests!;
  let longest = 0;
  let since = seen[0].s;
  for (let i = 1; i < seen.length; i++) {
    if (seen[i].requests!.sent > seen[i - 1].requests!.sent) since = seen[i].s;
    longest = Math.max(longest, seen[i].s - since);
  }
  return `${last.sent - first.sent} sent, ${last.failed - first.failed} failed; longest stretch without a sent request ${longest.toFixed(0)} s`;
}
