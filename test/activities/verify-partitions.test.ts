import { describe, expect, it } from "vitest";
import { partitionsProblem } from "../../activities/verify";

describe("partitionsProblem", () => {
  it("is null when the event file holds exactly the partitions its entry lists", () => {
    expect(partitionsProblem(["2025-01", "2025-02"], ["2025-01", "2025-02"])).toBeNull();
  });

  it("names partitions held but not listed, and listed but not held, three at most", () => {
    expect(partitionsProblem(["2025-01"], ["2025-01", "2025-02"])).toBe(
      "The event file holds rows of 2025-02, which its manifest entry does not list; the events are inconsistent — restore them from a backup.",
    );
    expect(partitionsProblem(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"], [])).toBe(
      "The event file holds no row of 2025-01, 2025-02, 2025-03 and 2 more, which its manifest entry lists; the events are inconsistent — restore them from a backup.",
    );
  });
});
