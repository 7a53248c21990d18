import { describe, expect, it } from "vitest";
import { groupRows } from "../../src/table/group";

describe("groupRows", () => {
  it("groups row indices by key in ascending key order, keeping row order", () => {
    const groups = groupRows(Int32Array.from([202502, 202501, 202502, 202412, 202501]));
    expect([...groups.keys()]).toEqual([202412, 202501, 202502]);
    expect([...groups.get(202501)!]).toEqual([1, 4]);
    expect([...groups.get(202502)!]).toEqual([0, 2]);
    expect([...groups.get(202412)!]).toEqual([3]);
  });

  it("returns no groups for no rows", () => {
    expect(groupRows(new Int32Array(0)).size).toBe(0);
  });
});
