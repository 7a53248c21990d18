import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { KillPlan } from "../support/crash-workers";
import { keyOf, monthlySeries, type SeriesRow } from "../workflows/ingest-fixtures";
import { crashBed, type CrashBed } from "./bed";
import { expectCleanPublish } from "./checks";
import { driveWithKills, type Kill } from "./drive";
import { seededRandom } from "./plans";

const SOAK = process.env.TIDEMARK_SOAK === "1";
/** Random kills per ingest: if all land in one activity it still stays well within its 20 attempts. */
const KILLS_PER_RUN = 11;
/** Ingests: a first version, then revisions on top of it. */
const RUNS = SOAK ? 10 : 3;
const MIN_KILLS = SOAK ? 100 : 30;
const SEED = Number(process.env.TIDEMARK_CRASH_SEED ?? 20261122);
const SERIES = SOAK ? 3000 : 1500;
const MONTHS = 24;

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

/** Kill delays counted from each worker's first activity, short enough to land inside activities of this size. */
function timerPlans(count: number): KillPlan[] {
  return Array.from({ length: count }, () => ({ kind: "timer", ms: 150 + Math.floor(random() * 1800) }));
}

describe(`random SIGKILLs of worker processes during large ingests [s3 store, seed ${SEED}]`, () => {
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
    const plans = timerPlans(KILLS_PER_RUN);
    const { handle, worker } = await bed.startIngest(plans[0]);
    const driven = await driveWithKills<IngestResult>(bed.client, bed.workers, handle, worker, plans);
    kills.push(...driven.kills);
    console.log(`[crash] ingest ${round}: ${driven.kills.length} kills: ${driven.kills.map((k) => k.where).join("; ")}`);
    await expectCleanPublish(bed, prev, next, driven.result);
    round++;
  };

  for (let run = 1; run <= RUNS; run++) {
    it(`ingest ${run} of ${RUNS} (${run === 1 ? "first version" : "revision"}) publishes exactly its source through up to ${KILLS_PER_RUN} kills`, { timeout: 600_000 }, ingestWithRandomKills);
  }

  it(`more revisions while fewer than ${MIN_KILLS} kills landed (a fast machine finishes runs between kills), each published exactly`, { timeout: 900_000 }, async () => {
    for (let extra = 0; kills.length < MIN_KILLS && extra < 10; extra++) await ingestWithRandomKills();
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
  });
});
