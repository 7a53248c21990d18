import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { KillPlan } from "../support/crash-workers";
import { monthlySeries } from "../workflows/ingest-fixtures";
import { crashBed, type CrashBed } from "./bed";
import { expectCleanPublish, hiddenLeftovers, incompleteUploads } from "./checks";
import { driveWithKills, type Kill } from "./drive";
import { INGEST_ACTIVITIES } from "./plans";

/** S3 putStream bodies above this go multipart in the workers' store (an S3ObjectStore option; the product default is 8 MiB). */
const MULTIPART_THRESHOLD = 32 * 1024;

/** File sources are read in 1 MiB chunks; a kill while the store asks for the second needs a source above that. */
const SOURCE_CHUNK = 1 << 20;

/** ~1.2 MB of CSV: its index and projection files are above the workers' multipart threshold, so they are uploaded in parts on S3. */
const rows = monthlySeries(
  Array.from({ length: 4200 }, (_, i) => `M${String(i).padStart(4, "0")}`),
  "2024-01",
  12,
  (s, m) => Number(s.slice(1)) * 3 + m / 8,
);

/** One kill inside the first store write of every writing activity, and inside publish's second (the pointer CAS). */
function midWritePlans(): KillPlan[] {
  const plans: KillPlan[] = [];
  for (const { step, writes } of INGEST_ACTIVITIES) {
    if (!writes) continue;
    plans.push({ kind: "mid-write", step, n: 1 });
    if (step === "publish") plans.push({ kind: "mid-write", step, n: 2 });
  }
  return plans;
}

describe.each(["fs", "s3"] as const)("SIGKILL of the worker process inside a store write of every writing activity [%s store, real worker processes]", (backend) => {
  let bed: CrashBed;
  beforeAll(async () => {
    bed = await crashBed(`mid_${backend}`, backend, { multipartThreshold: MULTIPART_THRESHOLD });
  });
  afterAll(async () => {
    await bed?.close();
  });

  it("each kill leaves what an unfinished write leaves, gc removes it, and the run publishes exactly its source", { timeout: 600_000 }, async () => {
    expect(Buffer.byteLength(rows.map((r) => `${r.series_id},${r.obs_date},${r.value}`).join("\n"))).toBeGreaterThan(SOURCE_CHUNK + MULTIPART_THRESHOLD);
    bed.writeSource(rows);
    const plans = midWritePlans();
    const found = { temp: 0, upload: 0, applied: 0, none: 0 };
    const onKill = async ({ record }: Kill) => {
      const left = record.left;
      expect(left.kind, record.where).not.toBe("missed");
      expect(record.inFlight.length, record.where).toBeGreaterThan(0);
      if (left.kind === "temp") {
        if (left.path) expect(existsSync(left.path), record.where).toBe(true);
        expect(readdirSync(left.dir).some((n) => n.startsWith(".tmp-")), record.where).toBe(true);
      } else if (left.kind === "upload") {
        expect(await incompleteUploads(bed), record.where).toContain(left.key);
      } else if (left.kind === "applied") {
        await expect(bed.store.head(left.key), record.where).resolves.toBeTruthy();
      }
      found[left.kind as keyof typeof found]++;
    };
    const { handle, worker } = await bed.startIngest(plans[0]);
    const driven = await driveWithKills<IngestResult>(bed.client, bed.workers, handle, worker, plans, { onKill });
    console.log(`[crash] mid-write ${backend}: ${driven.kills.length} kills in ${Math.round((driven.kills.at(-1)?.atMs ?? 0) / 1000)} s:\n  ${driven.kills.map((k) => `${k.record.activity}: ${k.where}`).join("\n  ")}`);
    expect(driven.kills.map((k) => k.plan)).toEqual(plans);
    expect(driven.kills.map((k) => k.record.activity)).toEqual(plans.map((p) => (p as { step: string }).step));

    // Writes running next to the targeted one (write uploads several month files in parallel) may leave their own.
    const leftBefore = backend === "fs" ? hiddenLeftovers(bed.storeDir!).filter((p) => p.includes("/.tmp-")).length : (await incompleteUploads(bed)).length;
    if (backend === "fs") {
      expect(found.temp).toBe(plans.length - 1);
      expect(leftBefore).toBeGreaterThanOrEqual(found.temp);
    } else {
      expect(found.upload).toBeGreaterThanOrEqual(1);
      expect(found.upload + found.applied).toBe(plans.length - 1);
      expect(leftBefore).toBeGreaterThanOrEqual(found.upload);
    }
    const swept = await bed.gc();
    expect(swept.abandoned.files).toBe(leftBefore);
    console.log(`[crash] mid-write ${backend}: ${leftBefore} ${backend === "fs" ? "hidden temp files" : "incomplete multipart uploads"} left by the kills, ${swept.abandoned.files} removed by gc`);
    expect((bed.storeDir ? hiddenLeftovers(bed.storeDir).length : 0) + (await incompleteUploads(bed)).length).toBe(0);
    await expectCleanPublish(bed, [], rows, driven.result);
  });
});
