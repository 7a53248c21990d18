import { describe, expect, it } from "vitest";
import { planProjectionMonths } from "../../src/manifest/projection-plan";

const file = (p: string) => ({ path: p, rows: 2 });

describe("planProjectionMonths", () => {
  it("plans only the touched months of projections the parent has", () => {
    const parent = { latest: { "2024-01": file("l/01"), "2024-02": file("l/02") } };
    expect(planProjectionMonths(["latest"], parent, ["2024-02", "2024-03"])).toEqual([
      { projection: "latest", month: "2024-02", base: { path: "l/02", rows: 2 }, touched: true },
      { projection: "latest", month: "2024-03", base: null, touched: true },
    ]);
  });

  it("builds a new projection for every live month, copying untouched months from a projection the parent has", () => {
    const parent = { latest: { "2024-01": file("l/01"), "2024-02": file("l/02") } };
    expect(planProjectionMonths(["latest", "wide"], parent, ["2024-02"])).toEqual([
      { projection: "latest", month: "2024-02", base: { path: "l/02", rows: 2 }, touched: true },
      { projection: "wide", month: "2024-01", base: { path: "l/01", rows: 2 }, touched: false },
      { projection: "wide", month: "2024-02", base: { path: "l/02", rows: 2 }, touched: true },
    ]);
  });

  it("a renamed projection is a new one; the old name is not planned", () => {
    const parent = { old: { "2024-01": file("o/01") } };
    expect(planProjectionMonths(["renamed"], parent, [])).toEqual([{ projection: "renamed", month: "2024-01", base: { path: "o/01", rows: 2 }, touched: false }]);
  });

  it("a first version plans the touched months of every projection", () => {
    expect(planProjectionMonths(["a", "b"], null, ["2024-01"])).toEqual([
      { projection: "a", month: "2024-01", base: null, touched: true },
      { projection: "b", month: "2024-01", base: null, touched: true },
    ]);
  });
});
