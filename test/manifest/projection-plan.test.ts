import { describe, expect, it } from "vitest";
import { monthsToOptimize, parentMonths, planKeyRead, planMonthParts, planProjectionMonths, writtenBy, type ProjectionMonthPlan } from "../../src/manifest/projection-plan";

const v1 = (p: string) => ({ path: p, rows: 2, bytes: 10 });
const v2 = (...paths: string[]) => ({ rows: 2 * paths.length, files: paths.map((path) => ({ path, rows: 2, bytes: 10 })) });
const f = (path: string) => ({ path, rows: 2, bytes: 10 });

describe("planProjectionMonths", () => {
  it("plans only the touched months of projections the parent has, with the files of either format", () => {
    const parent = { latest: { "2024-01": v1("l/01"), "2024-02": v2("l/02a", "l/02b") } };
    expect(planProjectionMonths(["latest"], parent, ["2024-02", "2024-03"])).toEqual([
      { projection: "latest", month: "2024-02", base: [f("l/02a"), f("l/02b")], own: true, touched: true },
      { projection: "latest", month: "2024-03", base: [], own: true, touched: true },
    ]);
  });

  it("builds a new projection for every live month, from a projection the parent has", () => {
    const parent = { latest: { "2024-01": v1("l/01"), "2024-02": v1("l/02") } };
    expect(planProjectionMonths(["latest", "wide"], parent, ["2024-02"])).toEqual([
      { projection: "latest", month: "2024-02", base: [f("l/02")], own: true, touched: true },
      { projection: "wide", month: "2024-01", base: [f("l/01")], own: false, touched: false },
      { projection: "wide", month: "2024-02", base: [f("l/02")], own: false, touched: true },
    ]);
  });

  it("a renamed projection is a new one; the old name is not planned", () => {
    const parent = { old: { "2024-01": v1("o/01") } };
    expect(planProjectionMonths(["renamed"], parent, [])).toEqual([{ projection: "renamed", month: "2024-01", base: [f("o/01")], own: false, touched: false }]);
  });

  it("a first version plans the touched months of every projection", () => {
    expect(planProjectionMonths(["a", "b"], null, ["2024-01"])).toEqual([
      { projection: "a", month: "2024-01", base: [], own: true, touched: true },
      { projection: "b", month: "2024-01", base: [], own: true, touched: true },
    ]);
  });
});

describe("parentMonths (one file per month)", () => {
  it("gives the single file of /1 and one-file /2 months, and refuses a month of several parts", () => {
    expect(parentMonths({ latest: { "2024-01": v1("a"), "2024-02": v2("b") } }, "latest")).toEqual({ "2024-01": { path: "a", rows: 2 }, "2024-02": { path: "b", rows: 2 } });
    expect(() => parentMonths({ latest: { "2024-01": v2("a", "b") } }, "latest")).toThrow(/2 part files/);
  });
});

const V = "20260101T000000000Z-aaaaaaaa";
const entry = (base: string[], over: Partial<ProjectionMonthPlan> = {}): ProjectionMonthPlan => ({ projection: "latest", month: "2024-02", base: base.map(f), own: true, touched: true, ...over });
const dir = "projections/latest/year=2024/month=02";

describe("planMonthParts", () => {
  it("a pure append carries every part and adds one part numbered after them", () => {
    expect(planMonthParts(entry(["a", "b"]), () => false, "ds", V)).toEqual({ carried: [f("a"), f("b")], rewritten: [], copies: [], path: `${dir}/${V}-p00002.parquet` });
  });

  it("rewrites only the parts holding a changed key, with the new rows, into one part", () => {
    expect(planMonthParts(entry(["a", "b", "c"]), (p) => p === "b", "ds", V)).toEqual({ carried: [f("a"), f("c")], rewritten: [f("b")], copies: [], path: `${dir}/${V}-p00002.parquet` });
  });

  it("writes the month whole when nothing is carried (a new month, or every part hit)", () => {
    expect(planMonthParts(entry([]), () => false, "ds", V).path).toBe(`${dir}/${V}.parquet`);
    expect(planMonthParts(entry(["a", "b"]), () => true, "ds", V)).toEqual({ carried: [], rewritten: [f("a"), f("b")], copies: [], path: `${dir}/${V}.parquet` });
  });

  it("rewrites the month whole when one more part would take it over maxParts", () => {
    expect(planMonthParts(entry(["a", "b"]), () => false, "ds", V, 3)).toEqual({ carried: [f("a"), f("b")], rewritten: [], copies: [], path: `${dir}/${V}-p00002.parquet` });
    expect(planMonthParts(entry(["a", "b", "c"]), () => false, "ds", V, 3)).toEqual({ carried: [], rewritten: [f("a"), f("b"), f("c")], copies: [], path: `${dir}/${V}.parquet` });
    expect(planMonthParts(entry(["a", "b", "c", "d"]), (p) => p === "b", "ds", V, 3)).toEqual({ carried: [], rewritten: [f("a"), f("b"), f("c"), f("d")], copies: [], path: `${dir}/${V}.parquet` });
    expect(planMonthParts(entry(["a"]), () => false, "ds", V, 1)).toEqual({ carried: [], rewritten: [f("a")], copies: [], path: `${dir}/${V}.parquet` });
  });

  it("a new projection rewrites a touched month whole and copies an untouched one part by part", () => {
    expect(planMonthParts(entry(["a", "b"], { own: false }), () => false, "ds", V)).toMatchObject({ carried: [], rewritten: [f("a"), f("b")], path: `${dir}/${V}.parquet` });
    expect(planMonthParts(entry(["a", "b"], { own: false, touched: false }), () => false, "ds", V).copies).toEqual([
      { from: f("a"), to: `${dir}/${V}-p00000.parquet` },
      { from: f("b"), to: `${dir}/${V}-p00001.parquet` },
    ]);
    expect(planMonthParts(entry(["a"], { own: false, touched: false }), () => false, "ds", V).copies).toEqual([{ from: f("a"), to: `${dir}/${V}.parquet` }]);
  });
});

describe("planKeyRead", () => {
  it("knows the only part of a dirty month holds its key, and reads the parts of a dirty month with several", () => {
    const dirty = new Set(["2024-02", "2024-03"]);
    const plan = planKeyRead([entry(["a"]), entry(["b", "c"], { month: "2024-03" }), entry(["d"], { month: "2024-04" })], dirty);
    expect(plan).toEqual({ held: ["a"], read: ["b", "c"] });
  });

  it("looks at nothing for a clean month, a month without parts, or a projection new in the definition", () => {
    const dirty = new Set(["2024-02"]);
    expect(planKeyRead([entry(["a"])], new Set())).toEqual({ held: [], read: [] });
    expect(planKeyRead([entry([])], dirty)).toEqual({ held: [], read: [] });
    expect(planKeyRead([entry(["a"], { own: false }), entry(["b", "c"], { own: false })], dirty)).toEqual({ held: [], read: [] });
    expect(planKeyRead([entry(["a"], { touched: false })], dirty)).toEqual({ held: [], read: [] });
  });
});

describe("monthsToOptimize", () => {
  const projections = { latest: { "2024-01": v1("a"), "2024-02": v2("b", "c"), "2024-03": v2("d", "e", "f") } };
  it("picks months with more parts than max_parts, or every multi-part month with all", () => {
    expect(monthsToOptimize(projections, 2, false).map((m) => m.month)).toEqual(["2024-03"]);
    expect(monthsToOptimize(projections, 2, true).map((m) => m.month)).toEqual(["2024-02", "2024-03"]);
    expect(monthsToOptimize(projections, 16, false)).toEqual([]);
  });
});

describe("writtenBy", () => {
  it("matches a version's whole-month file and parts, never another version's", () => {
    expect(writtenBy(`x/${dir}/${V}.parquet`, V)).toBe(true);
    expect(writtenBy(`x/${dir}/${V}-p00003.parquet`, V)).toBe(true);
    expect(writtenBy(`x/${dir}/20260101T000000000Z-bbbbbbbb-p00003.parquet`, V)).toBe(false);
    expect(writtenBy(`x/${dir}/${V}-x.parquet`, V)).toBe(false);
  });
});
