/**
 * Serve's CPU cost per request, the figure that holds on a shared machine where throughput does
 * not: one `tidemark serve --no-compact` (child process, `file://` store in a temp dir, no worker,
 * no Temporal) under shape a (16 clients × 100 records/request) and shape b (64 clients × 1
 * record/request), closed loop on loopback; CPU time (user + system) from /proc per answered
 * request. With `BENCH_SERVE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR"` serve writes a profile.
 *
 * node dist/bench/intake/cpu.js [--seconds 10] [--runs 2] [--shapes a,b] [--serve-flags "--max-writes 4"]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { inboxSize } from "./drain.js";
import { BENCH_DATASET, benchSetup, runBench, startServe } from "./procs.js";
import { measure, type Shape } from "./scenarios.js";
import { flag } from "../args.js";

async function main(): Promise<void> {
  const seconds = Number(flag("seconds", "10"));
  const runs = Number(flag("runs", "2"));
  const wanted = flag("shapes", "a,b").split(",");
  const shapes: Record<string, Shape> = {
    a: { clients: 16, batch: 100, seconds, records: 50_000_000 },
    b: { clients: 64, batch: 1, seconds, records: 50_000_000 },
  };
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-cpu-"));
  const setup = benchSetup(dir);
  const serve = startServe(setup, ["--no-compact", "--rate", "1000000", "--burst", "1000000", ...flag("serve-flags", "").split(" ").filter(Boolean)]);
  try {
    const target = { name: "serve" as const, proc: serve, url: await serve.url };
    for (const key of wanted) {
      await measure(target, { ...shapes[key], seconds: 2 }, dir, []);
      for (let i = 0; i < runs; i++) {
        const before = (await inboxSize(setup.storeDir, BENCH_DATASET)).fragments;
        const r = await measure(target, shapes[key], dir, []);
        const fragments = (await inboxSize(setup.storeDir, BENCH_DATASET)).fragments - before;
        process.stdout.write(
          `${key} run ${i + 1}: ${Math.round(r.serverCpuUsPerRequest)} µs/request (${Math.round(r.serverCpuUsPerRequest / shapes[key].batch)} µs/record), ${Math.round(r.requestsPerS)} req/s, ${Math.round(r.recordsPerS)} records/s, ${r.serverCores.toFixed(2)} cores, ${(r.requestsPerS * r.seconds / Math.max(1, fragments)).toFixed(1)} requests/fragment, p99 ${r.p99Ms.toFixed(1)} ms, load ${loadavg()[0].toFixed(2)}\n`,
        );
      }
    }
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench("bench cpu", main);
