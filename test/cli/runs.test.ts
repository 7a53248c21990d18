import { describe, expect, it } from "vitest";
import { describeOutcome, endedOutcome, memoOutcome } from "../../src/cli/runs";

const memo = (status: string) => ({ status, version: "20261202T033415974Z-f563be3c", counts: { inserted: 2, updated: 1, deleted: 0, unchanged: 4 }, rowsTotal: 7 });

describe("the outcome of a run that ended without a result", () => {
  it("a compaction that published and continued as new says what it published", () => {
    expect(endedOutcome("CONTINUED_AS_NEW", memo("published"))).toEqual({ outcome: "published (+2 ~1 -0, 7 rows); continued as new", published: true });
  });

  it("a run terminated after its commit says it published; one that changed nothing says so", () => {
    expect(endedOutcome("TERMINATED", memo("published"))).toEqual({ outcome: "published (+2 ~1 -0, 7 rows); terminated", published: true });
    expect(endedOutcome("CONTINUED_AS_NEW", memo("no-changes"))).toEqual({ outcome: "no row changed; continued as new", published: false });
  });

  it("without a memo, or with one that records no outcome, it is described by how it ended", () => {
    expect(endedOutcome("CONTINUED_AS_NEW", undefined)).toEqual({ outcome: "continued as new", published: false });
    expect(endedOutcome("TIMED_OUT", memo("failed"))).toEqual({ outcome: "timed out", published: false });
    expect(endedOutcome("TERMINATED", { status: "published" })).toEqual({ outcome: "terminated", published: false });
  });

  it("reads a memo only when every field it needs has its type", () => {
    expect(memoOutcome(memo("published"))).toEqual(memo("published"));
    expect(memoOutcome({ ...memo("published"), rowsTotal: "7" })).toBeNull();
    expect(memoOutcome({ ...memo("published"), counts: { inserted: 1 } })).toBeNull();
    expect(memoOutcome(undefined)).toBeNull();
  });

  it("names every ingest status", () => {
    const c = { inserted: 1, updated: 2, deleted: 3 };
    expect(["published", "unchanged", "no-changes", "dry-run", "handed-over"].map((s) => describeOutcome(s, c, 9))).toEqual([
      "published (+1 ~2 -3, 9 rows)",
      "source unchanged",
      "no row changed",
      "dry run (+1 ~2 -3, 9 rows)",
      "handed over to the running compaction",
    ]);
  });
});
