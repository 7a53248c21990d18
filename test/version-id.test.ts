import { describe, expect, it } from "vitest";
import { makeVersionId, planVersion, versionTime } from "../src/version-id";

const start = new Date("2026-11-22T10:30:00.123Z");
const runVersion = makeVersionId(start, "run-1");

describe("planVersion", () => {
  it("keeps the run's own id for a first plan that sorts after its parent", () => {
    expect(planVersion({ runVersion, runId: "run-1", parent: null, attempt: 1, now: start })).toBe(runVersion);
    const older = makeVersionId(new Date("2026-11-22T10:29:00.000Z"), "x");
    expect(planVersion({ runVersion, runId: "run-1", parent: older, attempt: 1, now: start })).toBe(runVersion);
  });

  it("a re-plan gets a new id that sorts after its new parent, even one stamped later than now", () => {
    const later = makeVersionId(new Date("2026-11-22T10:31:00.000Z"), "outside");
    const now = new Date("2026-11-22T10:30:30.000Z");
    const v2 = planVersion({ runVersion, runId: "run-1", parent: later, attempt: 2, now });
    expect(v2).not.toBe(runVersion);
    expect(v2 > later).toBe(true);
    expect(versionTime(v2)!.toISOString()).toBe("2026-11-22T10:31:00.001Z");
  });

  it("a first plan whose parent sorts later moves after it; every attempt differs", () => {
    const later = makeVersionId(new Date("2026-11-22T10:30:00.500Z"), "outside");
    const v1 = planVersion({ runVersion, runId: "run-1", parent: later, attempt: 1, now: start });
    const v2 = planVersion({ runVersion, runId: "run-1", parent: later, attempt: 2, now: start });
    expect(v1 > later && v2 > later).toBe(true);
    expect(new Set([runVersion, v1, v2]).size).toBe(3);
  });

  it("uses the plan's time when the parent is older", () => {
    const older = makeVersionId(new Date("2026-11-22T10:00:00.000Z"), "x");
    const now = new Date("2026-11-22T10:45:00.000Z");
    expect(versionTime(planVersion({ runVersion, runId: "run-1", parent: older, attempt: 3, now }))).toEqual(now);
  });
});

describe("versionTime", () => {
  it("reads the stamp back and rejects other strings", () => {
    expect(versionTime(runVersion)).toEqual(start);
    expect(versionTime("v1")).toBeUndefined();
  });
});
