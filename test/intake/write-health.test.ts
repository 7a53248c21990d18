import { describe, expect, it } from "vitest";
import { REPEAT_MS, WriteHealth } from "../../src/intake/write-health";

describe("WriteHealth", () => {
  it("logs the first failure, then at most one line per interval with the count, then the recovery", () => {
    const h = new WriteHealth();
    expect(h.failed("ds", "EACCES", 0)).toBe('fragment writes of dataset "ds" fail, so its records get 503: EACCES; check the store (TIDEMARK_STORE) and its permissions.');
    expect(h.failed("ds", "EACCES", 1_000)).toBeNull();
    expect(h.failed("ds", "EACCES", 2_000)).toBeNull();
    expect(h.failures()).toEqual(["ds: EACCES"]);
    expect(h.failed("ds", "ENOSPC", REPEAT_MS + 1)).toBe('fragment writes of dataset "ds" still fail (3 more groups, failing for 30 s): ENOSPC');
    expect(h.written("ds", 45_000)).toBe('fragment writes of dataset "ds" work again after 45 s.');
    expect(h.failures()).toEqual([]);
    expect(h.written("ds", 46_000)).toBeNull();
  });

  it("keeps datasets apart", () => {
    const h = new WriteHealth();
    expect(h.failed("a", "x", 0)).not.toBeNull();
    expect(h.failed("b", "y", 0)).not.toBeNull();
    expect(h.written("a", 10)).not.toBeNull();
    expect(h.failures()).toEqual(["b: y"]);
  });
});
