import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { monthlySeries, type SeriesRow } from "../workflows/ingest-fixtures";
import { crashBed, type CrashBed } from "./bed";
import { expectCleanPublish } from "./checks";
import { driveWithKills } from "./drive";
import { boundaryPlans } from "./plans";

const v1 = monthlySeries(["A", "B", "C"], "2024-01", 12, (s, m) => (s === "B" && m === 5 ? null : 100 + m + s.charCodeAt(0) / 4));
const v2: SeriesRow[] = [
  ...v1.filter((r) => !(r.series_id === "C" && r.obs_date < "2024-04")).map((r) => (r.series_id === "A" && r.obs_date >= "2024-10" ? { ...r, value: 999.5 } : r)),
  ...monthlySeries(["A", "B", "D"], "2025-01", 2, () => 7.25),
];

const BACKENDS = process.env.TIDEMARK_SOAK === "1" ? (["fs", "s3"] as const) : (["fs"] as const);

describe.each(BACKENDS)("SIGKILL of the worker process at every step boundary [%s store]", (backend) => {
  let bed: CrashBed;
  beforeAll(async () => {
    bed = await crashBed(`crash_${backend}`, backend);
  });
  afterAll(async () => {
    await bed?.close();
  });

  const v3 = v2.map((r) => (r.series_id === "D" ? { ...r, value: 1.5 } : r));

  const ingestThroughEveryKill = async (rows: SeriesRow[]) => {
    bed.writeSource(rows);
    const plans = boundaryPlans();
    const { handle, worker } = await bed.startIngest(plans[0]);
    const driven = await driveWithKills<IngestResult>(bed.client, bed.workers, handle, worker, plans);
    console.log(`[crash] ${backend}: ${driven.kills.length} kills in ${Math.round((driven.kills.at(-1)?.atMs ?? 0) / 1000)} s: ${driven.kills.map((k) => k.where).join("; ")}`);
    expect(driven.kills.map((k) => k.plan)).toEqual(plans);
    return driven.result;
  };

  it("a first version survives a kill at each of them and publishes exactly the source", { timeout: 900_000 }, async () => {
    const result = await ingestThroughEveryKill(v1);
    expect(result.parentVersion).toBeNull();
    await expectCleanPublish(bed, [], v1, result);
  });

  it("an incremental version on top of it does too", { timeout: 900_000 }, async () => {
    const result = await ingestThroughEveryKill(v2);
    expect(result.parentVersion).not.toBeNull();
    await expectCleanPublish(bed, v1, v2, result);
  });

  it("a kill that only Temporal's own heartbeat timeout detects (nothing expedited) is survived too", { timeout: 300_000 }, async () => {
    bed.writeSource(v3);
    const plan = { kind: "write", step: "write", n: 1, phase: "done" } as const;
    const { handle, worker } = await bed.startIngest(plan);
    const driven = await driveWithKills<IngestResult>(bed.client, bed.workers, handle, worker, [plan], { expedite: false });
    expect(driven.kills.map((k) => k.plan)).toEqual([plan]);
    await expectCleanPublish(bed, v2, v3, driven.result);
  });
});
