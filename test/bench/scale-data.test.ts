import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeScaleSnapshot } from "../../bench/ingest/data";

describe("the P4 snapshot", () => {
  it("holds exactly the rows the goal names (1M against 10M keys), not the nearest whole number of series", () => {
    const path = join(mkdtempSync(join(tmpdir(), "tm-p4-")), "snapshot.csv");
    expect(writeScaleSnapshot(10_000_000, 1_000_000, 1, path)).toBe(1_000_000);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe("series_id,obs_date,value");
    expect(lines.length - 1).toBe(1_000_000);
    expect(new Set(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).size).toBe(1_000_000);
  });
});
