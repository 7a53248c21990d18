import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { KillPlan } from "../support/crash-workers";
import { keyOf, monthlySeries, type SeriesRow } from "../workflows/ingest-fixtures";
import { crashBed, type CrashBed } from "./bed";
import { expectCleanPublish } from "./checks";
import { driveWithKills, type Kill } from "./drive";
import { INGEST_ACTIVITIES, seededRandom } from "./plans";

const SOAK = process.env.TIDEMARK_SOAK === "1";
/** Ingests: a first version, then revisions on top of it. */
const RUNS = SOAK ? 10 : 3;
const SEED = Number(process.env.TIDEMARK_CRASH_SEED ?? 20261122);
const SERIES = SOAK ? 3000 : 600;
const MONTHS = 24;
/** Writes each activity makes at least on these sources (prepare: source, normalized, index, changes, removals; write: an event file and a projection file per month touched, >= 24). */
const MIN_WRITES: Record<string, number> = { prepare: 3, write: 6, publish: 2 };

const random = seededRandom(SEED);
const series = Array.from({ length: SERIES }, (_, i) => `S${String(i).padStart(5, "0")}`);
const first = monthlySeries(series, "2023-01", MONTHS, (s, m) => (Number(s.slice(1)) * 31 + m * 7) % 5000 + 0.25);

/** A revision of `rows`: about 5 % of values revised, 2 % of keys dropped, one new month for a tenth of the series. */
function revise(rows: SeriesRow[], round: number): SeriesRow[] {
  const out: SeriesRow[] = [];
  for (const r of rows) {
    const roll = random();
    if (roll < 0.02) continue;
    out.push(roll < 0.07 ? { ...r, value: r.value === null ? round : null } : r);
  }
  const month = `${2025 + Math.floor(round / 12)}-${String((round % 12) + 1).padStart(2, "0")}`;
  out.push(...monthlySeries(series.filter((_, i) => i % 10 === round % 10), month, 1, () => round + 0.5));
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(keyOf(r)) && seen.add(keyOf(r)));
}

/**
 * Two kills in every writing activity (three in prepare and write), in run order, placed from the worker's own store write
 * events (no clocks): one as a seeded-random store write of the activity starts (a write in flight),
 * one at the activity's start (before it) or end fault point (after it), no write in flight. Each
 * kill makes the activity run again on the next worker, so every plan fires.
 */
function randomPlans(): KillPlan[] {
  const plans: KillPlan[] = [];
  for (const { step, writes } of INGEST_ACTIVITIES) {
    if (!writes) continue;
    const inFlight: KillPlan = { kind: "write", step, n: 1 + Math.floor(random() * (MIN_WRITES[step] ?? 1)), phase: "started" };
    // The two data steps (prepare, write) make many writes: a second write kill lands in the rerun the first one caused.
    const again: KillPlan[] = (MIN_WRITES[step] ?? 1) >= 3 && step !== "publish" ? [{ kind: "write", step, n: 1 + Math.floor(random() * MIN_WRITES[step]), phase: "started" }] : [];
    // A kill at the end comes after the write kills: the activity's rerun may find nothing left to write (a delete already done).
    plans.push(...(random() < 0.5 ? [{ kind: "point", point: `${step}:start` } as const, inFlight, ...again] : [inFlight, ...again, { kind: "point", point: `${step}:end` } as const]));
  }
  return plans;
}

describe(`seeded-random SIGKILLs of real worker processes during large ingests, placed by store write events [s3 store, seed ${SEED}]`, () => {
  let bed: CrashBed;
  const kills: Kill[] = [];
  beforeAll(async () => {
    bed = await crashBed("random", "s3");
  });
  afterAll(async () => {
    await bed?.close();
  });

  let prev: SeriesRow[] = [];
  let next = first;
  let round = 1;
  const ingestWithRandomKills = async () => {
    if (round > 1) [prev, next] = [next, revise(next, round)];
    bed.writeSource(next);
    const plans = randomPlans();
    const { handle, worker } = await bed.startIngest(plans[0]);
    const driven = await driveWithKills<IngestResult>(bed.client, bed.workers, handle, worker, plans);
    expect(driven.kills.map((k) => k.plan)).toEqual(plans);
    kills.push(...driven.kills);
    console.log(`[crash] ingest ${round}: ${driven.kills.length} kills: ${driven.kills.map((k) => k.where).join("; ")}`);
    await expectCleanPublish(bed, prev, next, driven.result);
    round++;
  };

  for (let run = 1; run <= RUNS; run++) {
    it(`ingest ${run} of ${RUNS} (${run === 1 ? "first version" : "revision"}) publishes exactly its source through 2–3 kills in every writing activity`, { timeout: 600_000 }, ingestWithRandomKills);
  }

  it("the kills landed where the suite needs them: >= 30, >= 15 with a store write in flight, over >= 3 activities", () => {
    const table = new Map<string, { inFlight: number; not: number }>();
    for (const k of kills) {
      const row = table.get(k.record.activity ?? "(between activities)") ?? { inFlight: 0, not: 0 };
      if (k.record.inFlight.length > 0) row.inFlight++;
      else row.not++;
      table.set(k.record.activity ?? "(between activities)", row);
    }
    console.log(`[crash] kills by placement (activity: with a store write in flight / without):\n  ${[...table].map(([a, r]) => `${a}: ${r.inFlight} / ${r.not}`).join("\n  ")}`);
    const inFlight = kills.filter((k) => k.record.inFlight.length > 0);
    expect(kills.length).toBeGreaterThanOrEqual(30);
    expect(inFlight.length).toBeGreaterThanOrEqual(15);
    expect(new Set(inFlight.map((k) => k.record.activity)).size).toBeGreaterThanOrEqual(3);
    for (const k of kills) expect(k.record.activity, k.where).toBe((k.plan as { step?: string; point?: string }).step ?? (k.plan as { point: string }).point.split(":")[0]);
  });
});
