/**
 * Freshness of push intake (issue 13): records offered at a fixed rate for a sustained period to one
 * `tidemark serve` (compaction on, defaults) while a `tidemark worker` compacts, all real processes
 * on a Temporal dev server and a `file://` store. For every acknowledged record: the time from its
 * acknowledgement to the first poll that finds its fragment in a published version's
 * `source.fragments` (polled every 200 ms, so figures are ±0.2 s). Also: the inbox backlog (listed
 * every second) against its bound, compactions, and both processes' peak RSS.
 *
 * npm run bench:freshness -- [--seconds 300] [--rate 10000] [--batch 100] [--clients 16] [--out bench/results/intake-freshness]
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execFileSync } from "node:child_process";
import { DEFAULT_LIMITS } from "../../src/intake/options.js";
import { DEFAULT_COMPACTION } from "../../src/intake/compaction-plan.js";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema.js";
import { FsObjectStore } from "../../src/store/fs.js";
import { quantile, runLoad } from "./load.js";
import { BENCH_DATASET as DATASET, BENCH_TOKEN, runBench, startServe, startStack } from "./procs.js";
import { flag } from "../args.js";

const ROOT = existsSync(join(__dirname, "..", "..", "bin", "tidemark.js")) ? join(__dirname, "..", "..") : join(__dirname, "..", "..", "..");


async function main(): Promise<void> {
  const seconds = Number(flag("seconds", "300"));
  const rate = Number(flag("rate", "10000"));
  const batch = Number(flag("batch", "100"));
  const clients = Number(flag("clients", "16"));
  const out = flag("out", join(ROOT, "bench", "results", "intake-freshness"));
  const dir = mkdtempSync(join(tmpdir(), "tidemark-freshness-"));
  const stack = await startStack(dir);
  const { worker, storeDir } = stack;
  const serve = startServe(stack);
  const url = await serve.url;
  const store = new FsObjectStore(storeDir);
  const root = `datasets/${DATASET}/`;

  const visible = new Map<string, number>();
  const seen = new Set<string>();
  let versions = 0;
  let polling = true;
  const poll = async () => {
    while (polling) {
      try {
        const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
        let path: string | null = pointer.manifest;
        const now = Date.now();
        while (path) {
          const m = parseVersionManifest((await store.get(root + path)).body);
          if (seen.has(m.version)) break;
          seen.add(m.version);
          versions++;
          for (const f of m.source.fragments ?? []) if (!visible.has(f)) visible.set(f, now);
          path = m.parent_version ? `events/${m.parent_version}/manifest.json` : null;
        }
      } catch {
        /* no version yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  let maxBacklog = 0;
  const sampleBacklog = async () => {
    while (polling) {
      let bytes = 0;
      for await (const o of store.list(`${root}inbox/`)) bytes += o.size;
      maxBacklog = Math.max(maxBacklog, bytes);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]), 5000);
  const pollers = [poll(), sampleBacklog()];
  const logPath = join(dir, "acks.ndjson");
  console.log(`[freshness] ${rate} records/s offered for ${seconds} s (${clients} clients × ${batch} records/request) to ${url}`);
  const load = await runLoad({ url, dataset: DATASET, token: BENCH_TOKEN, clients, batch, records: rate * seconds, seconds, ratePerSecond: rate, logPath, keepIds: false });
  const ackedFragments = new Set<string>();
  const lines = createInterface({ input: createReadStream(logPath) });
  for await (const line of lines) ackedFragments.add(line.slice(line.indexOf('"fragment":"') + 12, line.indexOf('","ms"')));
  const deadline = Date.now() + 180_000;
  while ([...ackedFragments].some((f) => !visible.has(f)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  polling = false;
  await Promise.all(pollers);
  clearInterval(loadTimer);

  const delays: number[] = [];
  let invisible = 0;
  for await (const line of createInterface({ input: createReadStream(logPath) })) {
    const fragment = line.slice(line.indexOf('"fragment":"') + 12, line.indexOf('","ms"'));
    const ms = Number(line.slice(line.indexOf('"ms":') + 5, line.lastIndexOf("}")));
    const at = visible.get(fragment);
    if (at === undefined) invisible++;
    else delays.push(at - ms);
  }
  delays.sort((a, b) => a - b);
  const peak = { serve: serve.peakRssMb(), worker: worker.peakRssMb() };
  await serve.stop();
  await stack.stop();
  const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const clean = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() === "";
  const result = {
    date: new Date().toISOString(), commit, clean, seconds, offeredPerSecond: rate, clients, batch,
    acknowledged: load.acknowledgedCount, acknowledgedPerSecond: Math.round(load.acknowledgedCount / (load.elapsedMs / 1000)), unacknowledged: load.unacknowledgedCount,
    statuses: load.statuses, ackP99Ms: quantile(load.latenciesMs, 0.99),
    freshnessMs: { p50: quantile(delays, 0.5), p90: quantile(delays, 0.9), p99: quantile(delays, 0.99), max: delays.at(-1) ?? Number.NaN },
    neverVisible: invisible, versions, maxBacklogBytes: maxBacklog, backlogBound: DEFAULT_LIMITS.maxBacklogBytes,
    compactInterval: DEFAULT_COMPACTION.compactIntervalMs, compactBytes: DEFAULT_COMPACTION.compactBytes,
    peakRssMb: peak, loadAverage: { min: Math.min(...loads), median: quantile(loads, 0.5), max: Math.max(...loads) },
  };
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const md = `# Push intake freshness

Commit \`${commit}${clean ? " (clean)" : " (dirty)"}\`, ${result.date}. \`npm run bench:freshness -- --seconds ${seconds} --rate ${rate}\`.
One \`tidemark serve\` (defaults: compaction requested when the backlog reaches ${result.compactBytes / 1048576} MiB or its oldest fragment is ${result.compactInterval / 1000} s old) and one \`tidemark worker\`, separate processes, on a Temporal dev server and a \`file://\` store; the load generator (bench/intake/load.ts, open loop, ${clients} connections × ${batch} records/request, 150-byte records) in the bench process. Freshness = first poll (every 200 ms) that finds a record's fragment in a published version's \`source.fragments\` − its acknowledgement. 1-min load average ${result.loadAverage.min.toFixed(1)}–${result.loadAverage.max.toFixed(1)} (median ${result.loadAverage.median.toFixed(1)}) on 2 cores.

| figure | measured | goal (issue 13) | verdict |
|---|---|---|---|
| records acknowledged (offered ${rate.toLocaleString("en-US")}/s for ${seconds} s) | ${result.acknowledged.toLocaleString("en-US")} (${result.acknowledgedPerSecond.toLocaleString("en-US")}/s), ${result.unacknowledged} not acknowledged | 10,000/s sustained for 5 min | ${result.acknowledgedPerSecond >= 9500 && seconds >= 300 ? "sustained" : "not sustained at the goal's size"} |
| freshness p50 / p90 / p99 / max | ${s(result.freshnessMs.p50)} / ${s(result.freshnessMs.p90)} / ${s(result.freshnessMs.p99)} / ${s(result.freshnessMs.max)} | p99 ≤ 15 s | ${result.freshnessMs.p99 <= 15000 && seconds >= 300 && rate >= 10000 ? "**met**" : "**not met**"} |
| acknowledged records never published | ${invisible} | 0 | ${invisible === 0 ? "met" : "**not met**"} |
| inbox backlog, largest sample | ${(maxBacklog / 1048576).toFixed(1)} MiB | under its bound (${DEFAULT_LIMITS.maxBacklogBytes / 1073741824} GiB) | ${maxBacklog < DEFAULT_LIMITS.maxBacklogBytes ? "met" : "**not met**"} |
| acknowledgement p99 | ${result.ackP99Ms.toFixed(1)} ms | (goal d is measured by bench:intake) | — |

Versions published: ${versions}. Peak RSS: serve ${peak.serve} MB, worker ${peak.worker} MB. Responses: ${JSON.stringify(load.statuses)}.
`;
  writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${out}.md`, md);
  console.log(md);
  rmSync(dir, { recursive: true, force: true });
}

runBench("bench:freshness", main);
