import { createServer } from "node:net";
import { join } from "node:path";
import { writeSources } from "./data.js";
import type { ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack } from "./stack.js";
import { say } from "./stats.js";

const HEARTBEAT_TIMEOUT_MS = 15_000;
const LAG_METRIC = "tidemark_nodejs_eventloop_lag_max_seconds";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Samples the worker's event-loop lag maximum (prom-client resets it at every scrape) until stopped. */
function sampleLag(port: number): { max(): number; samples(): number; stop(): Promise<void> } {
  let max = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => "");
      const line = text.split("\n").find((l) => l.startsWith(`${LAG_METRIC} `));
      if (line) {
        samples++;
        max = Math.max(max, Number(line.split(" ")[1]) * 1000);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return { max: () => max, samples: () => samples, stop: async () => ((running = false), await loop) };
}

/**
 * STALL: the longest synchronous stretch of the worker (event-loop lag maximum, scraped every
 * 0.5 s from its metrics endpoint) during an initial load of `series` × `months` rows. Goal: no
 * stretch over a third of the heartbeat timeout at 5M rows, and no attempt retried.
 */
export async function runStall(stack: BenchStack, series: number, months: number): Promise<ScenarioResult> {
  const source = join(stack.dir, "stall.csv");
  const rows = writeSources({ series, months, daily: 0 }, source, join(stack.dir, "stall-v2.csv"), join(stack.dir, "stall-changes.csv")).v1Rows;
  stack.define("stall", source);
  const port = await freePort();
  const storeUrl = `file://${join(stack.dir, "stall-store")}`;
  const run = await withWorker(stack, storeUrl, async (w) => {
    const lag = sampleLag(port);
    try {
      const r = await ingest(stack, w, "stall", source);
      return { ...r, maxLagMs: Math.round(lag.max()), samples: lag.samples() };
    } finally {
      await lag.stop();
    }
  }, { TIDEMARK_METRICS_PORT: String(port) });
  const retried = run.timing.spans.filter((s) => s.attempt > 1).map((s) => `${s.name} attempt ${s.attempt}`);
  say(`STALL: ${rows} rows in ${run.ms} ms; longest event-loop stall ${run.maxLagMs} ms over ${run.samples} samples; retried: ${retried.join(", ") || "none"}`);
  const budget = HEARTBEAT_TIMEOUT_MS / 3;
  return {
    id: "STALL",
    title: `STALL longest synchronous stretch of the worker, ${rows.toLocaleString("en")}-row initial load`,
    ms: run.maxLagMs,
    runs: [run.maxLagMs],
    goal: `≤ ${budget / 1000} s (a third of the heartbeat timeout) at 5M rows, no attempt retried`,
    met: run.maxLagMs <= budget && retried.length === 0 && rows === 5_000_000 ? true : rows === 5_000_000 ? false : null,
    peakRssMb: run.peakRssMb,
    details: { rows, ingestMs: run.ms, samples: run.samples, retried, activities: run.timing.activities },
  };
}
