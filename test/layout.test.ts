import { describe, expect, it } from "vitest";
import { DatasetLayout, PartitionNumberError, monthDir, monthLabel, parseMonthLabel } from "../src/layout";

/** SPEC §2: a partition number is `yyyy`, `yyyymm` or `yyyymmdd`; "month" means partition. */
const FORMS = [
  { granularity: "year", n: 2025, label: "2025", dir: "year=2025" },
  { granularity: "month", n: 202501, label: "2025-01", dir: "year=2025/month=01" },
  { granularity: "month", n: 202412, label: "2024-12", dir: "year=2024/month=12" },
  { granularity: "day", n: 20250115, label: "2025-01-15", dir: "year=2025/month=01/day=15" },
  { granularity: "day", n: 20241231, label: "2024-12-31", dir: "year=2024/month=12/day=31" },
  { granularity: "day", n: 20240229, label: "2024-02-29", dir: "year=2024/month=02/day=29" },
  { granularity: "year", n: 1000, label: "1000", dir: "year=1000" },
  { granularity: "day", n: 99991231, label: "9999-12-31", dir: "year=9999/month=12/day=31" },
];

describe("partition labels and directories", () => {
  it.each(FORMS)("$granularity $n is $label under $dir, and the label parses back", ({ n, label, dir }) => {
    expect(monthLabel(n)).toBe(label);
    expect(monthDir(n)).toBe(dir);
    expect(parseMonthLabel(label)).toBe(n);
  });

  it.each(["", "2025-1", "25-01", "2025-13", "2025-00", "2025-01-32", "2025-02-29", "2023-04-31", "2025-01-00", "2025-01-15T00", "2025/01", "0050-01", "0999-12", "0999", "0999-12-31", "10000", "../2025-01", "2025-01-1"])(
    "refuses %j",
    (label) => expect(parseMonthLabel(label)).toBeUndefined(),
  );

  it.each([
    [99912, "year 999, month 12"],
    [50301, "year 5, month 3, day 1 as 5 digits"],
    [999, "3 digits"],
    [10000, "5 digits"],
    [1000001, "7 digits"],
    [100000000, "9 digits"],
    [0, "zero"],
    [-202501, "negative"],
    [202501.5, "not an integer"],
    [NaN, "not a number"],
    [202513, "month 13"],
    [202500, "month 00"],
    [20250132, "day 32"],
    [20250100, "day 00"],
  ])("refuses partition number %s (%s) with an internal error, writing no path", (n) => {
    for (const f of [monthLabel, monthDir, (m: number) => new DatasetLayout("ds").eventPart("v1", m, 0), (m: number) => new DatasetLayout("ds").projection("latest", m, "v1")]) {
      const err = (() => {
        try {
          return f(n as number);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PartitionNumberError);
      expect((err as Error).message).toBe(
        `Internal error: partition number ${n} is not yyyy, yyyymm or yyyymmdd (4, 6 or 8 digits), so it has no label or directory; nothing was written under it — report this with the dataset definition.`,
      );
    }
  });

  it("puts event and projection files under the partition's directory", () => {
    const layout = new DatasetLayout("ds");
    expect(layout.eventPart("v1", 2025, 0)).toBe("events/v1/data/year=2025/part-00000.parquet");
    expect(layout.eventPart("v1", 202501, 3)).toBe("events/v1/data/year=2025/month=01/part-00003.parquet");
    expect(layout.eventPart("v1", 20250115, 0)).toBe("events/v1/data/year=2025/month=01/day=15/part-00000.parquet");
    expect(layout.projection("latest", 2024, "v1")).toBe("projections/latest/year=2024/v1.parquet");
    expect(layout.projection("latest", 202402, "v1")).toBe("projections/latest/year=2024/month=02/v1.parquet");
    expect(layout.projection("latest", 20240229, "v1")).toBe("projections/latest/year=2024/month=02/day=29/v1.parquet");
  });

  it("labels of one granularity sort like their numbers", () => {
    const days = [20250101, 20241231, 20250201, 20250131];
    expect(days.map(monthLabel).sort()).toEqual([...days].sort((a, b) => a - b).map(monthLabel));
  });
});

describe("set-aside fragment copies", () => {
  const layout = new DatasetLayout("clicks");
  it("are kept per version, and an entry without a path names the shared prefix it was written under", () => {
    expect(layout.quarantinedFragments()).toBe("quarantine/fragments/");
    expect(layout.quarantinedFragments("20261203T000000000Z-00000003")).toBe("quarantine/fragments/20261203T000000000Z-00000003/");
    expect(layout.quarantinedFragment("20261203T000000000Z-00000003", "f1")).toBe("quarantine/fragments/20261203T000000000Z-00000003/f1");
    expect(layout.setAsideCopy({ fragment: "f1", path: "quarantine/fragments/v/f1" })).toBe("quarantine/fragments/v/f1");
    expect(layout.setAsideCopy({ fragment: "f1" })).toBe("quarantine/fragments/f1");
  });
});
