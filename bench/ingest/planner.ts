import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioResult } from "./result.js";
import { say } from "./stats.js";

const SCRIPT = join(__dirname, "..", "delta-scale.js");

type Figures = Record<string, number | string>;

/**
 * P4 at the planner level (bench/delta-scale.ts, no workflow): hashing a `source`-row snapshot and
 * planning its delta against a `base`-key index, each phase in its own process so its peak RSS
 * (`maxRSS`) is its own. `stream` is what computeDelta runs (planDeltaStreaming over index shards).
 */
export async function runPlannerScale(dir: string, base: number, source: number): Promise<ScenarioResult> {
  const json = join(dir, "delta-scale.json");
  const args = [SCRIPT, "--base", String(base), "--source", String(source), "--dir", join(dir, "delta-scale"), "--json", json];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", (c: Buffer) => say(`P4 planner: ${c.toString().trim()}`));
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`delta-scale exited ${code}`);
  const figures = JSON.parse(readFileSync(json, "utf8")) as Record<string, Figures>;
  rmSync(json, { force: true });
  const stream = figures.stream;
  const peak = Number(stream.peak_rss_mb);
  return {
    id: "P4-planner",
    title: `P4 planner only (delta-scale stream): ${source.toLocaleString("en")} rows against ${base.toLocaleString("en")} keys`,
    ms: Number(stream.plan_and_write_next_index_ms) + Number(stream.source_key_hash_ms) + Number(stream.source_row_hash_ms),
    runs: [],
    goal: "peak RSS ≤ 1.5 GB",
    met: peak <= 1536,
    peakRssMb: peak,
    details: figures,
  };
}
