import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { compactionDue, compactionPolicy, DEFAULT_COMPACTION, parseInterval, planCompaction, PlannedFragmentMissingError, replanCompaction } from "../../src/intake/compaction-plan";

const id = (ms: number, n = 0) => `20261130T0400${String(Math.floor(ms / 1000)).padStart(2, "0")}${String(ms % 1000).padStart(3, "0")}Z-${String(n).padStart(6, "0")}-abcdefabcdef`;

describe("planCompaction", () => {
  const a = { id: id(1), bytes: 10 };
  const b = { id: id(2), bytes: 20 };
  const c = { id: id(2, 1), bytes: 30 };
  it("takes every unconsumed fragment oldest first and lists consumed ones as leftovers", () => {
    expect(planCompaction([c, a, b], [a.id])).toEqual({ take: [b, c], leftovers: [a.id], deferred: 0 });
  });
  it("ignores keys that are not fragment ids", () => {
    expect(planCompaction([{ id: "notes.txt", bytes: 1 }, a], []).take).toEqual([a]);
  });
  it("stops at the fragment and byte bounds, but always takes one fragment", () => {
    expect(planCompaction([a, b, c], [], { maxFragments: 2, maxBytes: 1000 })).toMatchObject({ take: [a, b], deferred: 1 });
    expect(planCompaction([a, b, c], [], { maxFragments: 10, maxBytes: 30 })).toMatchObject({ take: [a, b], deferred: 1 });
    expect(planCompaction([c], [], { maxFragments: 10, maxBytes: 1 })).toMatchObject({ take: [c], deferred: 0 });
  });
  it("plans nothing for an empty or fully consumed inbox", () => {
    expect(planCompaction([], [])).toEqual({ take: [], leftovers: [], deferred: 0 });
    expect(planCompaction([a], [a.id])).toEqual({ take: [], leftovers: [a.id], deferred: 0 });
  });
});

describe("compaction policy", () => {
  const def = (push: string) => parseDefinition(`id: p\nsource: { push: ${push} }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: at, type: date }\n  key: [id]\n  partition_by: at\n`, "p.yaml");
  it("parses durations", () => {
    expect([parseInterval("500ms"), parseInterval("5s"), parseInterval("2m"), parseInterval("1h")]).toEqual([500, 5000, 120_000, 3_600_000]);
    expect([parseInterval("5"), parseInterval("0s"), parseInterval("1d"), parseInterval("-1s")]).toEqual([undefined, undefined, undefined, undefined]);
  });
  it("applies the definition's compact_bytes and compact_interval, else the defaults", () => {
    expect(compactionPolicy(def("{}"))).toEqual(DEFAULT_COMPACTION);
    expect(compactionPolicy(def('{ compact_bytes: 100, compact_interval: "2s" }'))).toEqual({ compactBytes: 100, compactIntervalMs: 2000 });
  });
  it("is due by bytes or by the oldest fragment's age, never for an empty backlog", () => {
    const policy = { compactBytes: 100, compactIntervalMs: 1000 };
    const at = new Date(10_000);
    expect(compactionDue({ bytes: 0, oldest: null }, policy, 99_000)).toBe(false);
    expect(compactionDue({ bytes: 50, oldest: at }, policy, 10_500)).toBe(false);
    expect(compactionDue({ bytes: 100, oldest: at }, policy, 10_000)).toBe(true);
    expect(compactionDue({ bytes: 1, oldest: at }, policy, 11_000)).toBe(true);
  });
});

describe("push definition rules", () => {
  const yaml = (extra: string) => `id: p\nsource: { push: {} }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: at, type: date }\n  key: [id]\n  partition_by: at\n${extra}`;
  it("makes the latest record of a key win", () => {
    expect(parseDefinition(yaml(""), "p.yaml").duplicates).toBe("last_wins");
  });
  it("refuses snapshot and append modes, duplicates: error and a malformed compact_interval, each in one sentence", () => {
    expect(() => parseDefinition(yaml("mode: snapshot\n"), "p.yaml")).toThrow(/mode must be upsert for a push dataset/);
    expect(() => parseDefinition(yaml("mode: append\n"), "p.yaml")).toThrow(/mode must be upsert for a push dataset/);
    expect(() => parseDefinition(yaml("duplicates: error\n"), "p.yaml")).toThrow(/duplicates must be last_wins for a push dataset/);
    expect(() => parseDefinition(yaml("").replace("push: {}", 'push: { compact_interval: "soon" }'), "p.yaml")).toThrow(/compact_interval must be a duration like "500ms", "5s" or "2m" \(got "soon"\)/);
  });
});

describe("replanCompaction", () => {
  const a = { id: id(1), bytes: 10 };
  const b = { id: id(2), bytes: 20 };
  const c = { id: id(3), bytes: 30 };
  it("takes exactly the recorded fragments, whatever arrived since, and still lists consumed ones as leftovers", () => {
    expect(replanCompaction([a, b, c], [a.id], [b.id])).toEqual({ take: [b], leftovers: [a.id], deferred: 1 });
  });
  it("refuses a recorded fragment that is gone or consumed, naming it", () => {
    expect(() => replanCompaction([a, c], [], [b.id])).toThrow(PlannedFragmentMissingError);
    expect(() => replanCompaction([a, b], [b.id], [b.id])).toThrow(new RegExp(`Fragment ${b.id}, planned by an earlier attempt`));
  });
});
