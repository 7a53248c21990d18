import { rmSync } from "node:fs";
import { join } from "node:path";
import { deltaBuild, deltaMergeInto, type DeltaMerge } from "./deltars.js";
import { setScaleMonths, writeScaleBase, writeScaleSnapshot } from "./data.js";
import type { ScenarioResult } from "./result.js";
import { ingest, withWorker, type BenchStack, type IngestRun } from "./stack.js";
import { median, medianRecords, ratio, say, timed } from "./stats.js";

/**
 * P4: an upsert of a `source`-row snapshot (1 % revised, 1 % new) against a `base`-key version,
 * through the real workflow. The base version is built once by ingesting a `base`-row CSV in `parts`
 * upserts over disjoint series (its time and peak are reported, not judged); a fresh worker then runs a warm-up and `runs` snapshots, each
 * on series the others do not touch, with its peak RSS reset before every run. Time is reported
 * against delta-rs merging the same snapshots into a table built from the same base CSVs (not timed).
 */
export async function runScale(stack: BenchStack, base: number, source: number, runs: number, parts: number, months: number): Promise<ScenarioResult> {
  setScaleMonths(months);
  const storeUrl = `file://${join(stack.dir, "store")}`;
  const gen = await timed(async () => writeScaleBase(base, parts, (p) => join(stack.dir, `scale-base-${p}.csv`)));
  const snapshots = Array.from({ length: runs + 1 }, (_, i) => join(stack.dir, `scale-${i}.csv`));
  const rows = snapshots.map((path, i) => writeScaleSnapshot(base, source, i, path));
  say(`P4: generated the base in ${gen.value.length} part(s) (${gen.ms} ms), snapshots of ${rows[0]} rows`);
  stack.define("scale", gen.value[0], "upsert");
  const built: IngestRun[] = [];
  await withWorker(stack, storeUrl, async (w) => {
    for (const part of gen.value) {
      built.push(await ingest(stack, w, "scale", part));
      say(`P4: base part ingested in ${built[built.length - 1].ms} ms, ${built[built.length - 1].rows} keys, worker peak ${built[built.length - 1].peakRssMb} MB`);
    }
  });
  const build = { rows: built[built.length - 1].rows, ms: built.reduce((a, b) => a + b.ms, 0), peakRssMb: Math.max(...built.map((b) => b.peakRssMb)), parts: built.length };
  const table = join(stack.dir, "deltars", "p4");
  const deltaBuilt = await timed(async () => deltaBuild(table, gen.value));
  say(`P4: delta-rs table of the base built in ${deltaBuilt.ms} ms (not timed)`);
  const measured: IngestRun[] = [];
  const merges: DeltaMerge[] = [];
  await withWorker(stack, storeUrl, async (worker) => {
    for (let i = 0; i <= runs; i++) {
      const r = await ingest(stack, worker, "scale", snapshots[i]);
      const m = deltaMergeInto(table, snapshots[i], "update-all");
      say(`P4 ${i === 0 ? "warm-up" : `run ${i}`}: ${r.status} ${r.ms} ms, peak ${r.peakRssMb} MB; delta-rs merge ${m.totalMs} ms`);
      if (r.status !== "published") throw new Error(`P4 run ${i}: ${r.status}`);
      if (i > 0) {
        measured.push(r);
        merges.push(m);
      }
    }
  });
  rmSync(table, { recursive: true, force: true });
  const ms = median(measured.map((r) => r.ms));
  const mergeMs = median(merges.map((m) => m.totalMs));
  const peakRssMb = Math.max(...measured.map((r) => r.peakRssMb));
  return {
    id: "P4",
    title: `P4 ${rows[0].toLocaleString("en")}-row upsert against ${build.rows.toLocaleString("en")} keys`,
    ms,
    runs: measured.map((r) => r.ms),
    baseline: { name: "delta-rs merge, update-all (read CSV + merge), same sizes", ms: mergeMs, runs: merges.map((m) => m.totalMs) },
    ratio: ratio(ms, mergeMs),
    goal: "peak RSS ≤ 1.5 GB",
    met: peakRssMb <= 1536,
    peakRssMb,
    details: {
      activities: medianRecords(measured.map((r) => r.timing.activities)),
      baseBuild: build,
      deltarsMerge: { readMs: median(merges.map((m) => m.readMs)), mergeMs: median(merges.map((m) => m.mergeMs)), metrics: merges[0]?.metrics },
    },
  };
}
