import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DROPPED_SERIES, releaseV1, releaseV2, SERIES } from "../../src/demo/rates";
import { runDemo } from "../../src/demo/run";
import { openDuck, rows as duckRows } from "../support/duck";
import { services } from "../support/services";
import { tempStore } from "./helpers";

const work = tempStore("demo");
afterAll(() => work.cleanup());

describe("demo data", () => {
  it("is 40 series × 120 months, then one more month, revised provisional months and a dropped series", () => {
    const v1 = releaseV1();
    const v2 = releaseV2();
    expect(SERIES).toHaveLength(40);
    expect(v1).toHaveLength(4800);
    expect(v1.some((r) => r.value === null)).toBe(true);
    expect(v2).toHaveLength(39 * 121);
    expect(v2.some((r) => r.series_id === DROPPED_SERIES)).toBe(false);
    expect(releaseV1()).toEqual(v1);
  });
});

describe("tidemark demo", () => {
  it("ingests v1 and a revised v2 through the real workflow and prints how to query them", { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const dir = join(work.dir, "demo");
    const outcome = await runDemo({ dir, anyPorts: true, workflowBundle: { codePath: services().workflowBundlePath }, say: (l) => lines.push(l) });
    const [v1, v2] = outcome.results;
    expect(v1).toMatchObject({ status: "published", parentVersion: null, counts: { inserted: 4800, updated: 0, deleted: 0, rowsTotal: 4800 } });
    expect(v2).toMatchObject({ status: "published", parentVersion: v1.version, counts: { inserted: 39, updated: 117, deleted: 120, rowsTotal: 4719 } });
    const text = lines.join("\n");
    expect(text).toContain(`published version ${v1.version}`);
    expect(text).toContain("inserted 39 · updated 117 · deleted 120");
    expect(text).toMatch(/FX\.EURUSD\.M\s+2025-01-01\s+[\d.]+\s+EUR per USD\s+P/);
    expect(text).toContain(`${DROPPED_SERIES}: 120 rows in v1, 0 in v2`);
    expect(text).toContain("sh ");
    expect(existsSync(join(dir, "store", "datasets", "fx_rates", "current", "manifest.json"))).toBe(true);

    const script = readFileSync(join(dir, "duckdb-current.sh"), "utf8");
    expect(script).toContain(outcome.duckdb);
    const duck = await openDuck();
    try {
      const sql = /duckdb -c "(.*)"$/.exec(outcome.duckdb)![1];
      const [counts] = await duckRows(duck.conn, `SELECT count(*)::INT AS n, count(DISTINCT series_id)::INT AS series, max(obs_date)::VARCHAR AS last FROM (${sql})`);
      expect(counts).toEqual({ n: 4719, series: 39, last: "2025-01-01" });
    } finally {
      duck.close();
    }

    expect(outcome.push.acknowledged).toBe(20 * 250 + 100);
    expect(outcome.push.sent.size).toBe(5000);
    expect(outcome.push.published).toEqual(outcome.push.sent);
    expect(outcome.push.sent.get("c00007")).toBe(5007);
    expect(outcome.push.versions).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/acknowledged 5,100 records in \d+ ms/);
    expect(text).toMatch(/all 5,000 keys visible [\d.]+ s after the last acknowledgement/);
  });
});
