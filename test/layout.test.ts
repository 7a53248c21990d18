import { describe, expect, it } from "vitest";
import { DatasetLayout, monthDir, monthLabel, parseMonthLabel } from "../src/layout";

/** SPEC §2: a partition number is `yyyy`, `yyyymm` or `yyyymmdd`; "month" means partition. */
const FORMS = [
  { granularity: "year", n: 2025, label: "2025", dir: "year=2025" },
  { granularity: "month", n: 202501, label: "2025-01", dir: "year=2025/month=01" },
  { granularity: "month", n: 202412, label: "2024-12", dir: "year=2024/month=12" },
  { granularity: "day", n: 20250115, label: "2025-01-15", dir: "year=2025/month=01/day=15" },
  { granularity: "day", n: 20241231, label: "2024-12-31", dir: "year=2024/month=12/day=31" },
  { granularity: "day", n: 20240229, label: "2024-02-29", dir: "year=2024/month=02/day=29" },
  { granularity: "month", n: 99912, label: "0999-12", dir: "year=0999/month=12" },
];

describe("partition labels and directories", () => {
  it.each(FORMS)("$granularity $n is $label under $dir, and the label parses back", ({ n, label, dir }) => {
    expect(monthLabel(n)).toBe(label);
    expect(monthDir(n)).toBe(dir);
    expect(parseMonthLabel(label)).toBe(n);
  });

  it.each(["", "2025-1", "25-01", "2025-13", "2025-00", "2025-01-32", "2025-02-29", "2023-04-31", "2025-01-00", "2025-01-15T00", "2025/01", "0050-01", "../2025-01", "2025-01-1"])(
    "refuses %j",
    (label) => expect(parseMonthLabel(label)).toBeUndefined(),
  );

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
