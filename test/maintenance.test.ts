import { describe, expect, it } from "vitest";
import { ENDED_WRITER_WINDOW_MS, gcCutoff, parseAge, PUBLISH_ATTEMPT_MS, publishInFlight, publishMayStillLand, tooYoungForGc } from "../src/maintenance";

describe("gc's age cutoff (pure)", () => {
  it("keeps every object written after the probe, also with S3's whole-second last-modified times", () => {
    const probe = Date.parse("2026-12-01T12:00:00.500Z");
    const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
    const writtenAfter = Date.parse("2026-12-01T12:00:00.800Z");
    expect(tooYoungForGc(wholeSecond(writtenAfter), gcCutoff(wholeSecond(probe), 0))).toBe(true);
    expect(tooYoungForGc(writtenAfter, gcCutoff(probe, 0))).toBe(true);
    expect(tooYoungForGc(Date.parse("2026-12-01T12:00:00.499Z"), gcCutoff(probe, 0))).toBe(false);
  });

  it("counts the age back from the moment gc starts", () => {
    const start = Date.parse("2026-12-01T12:00:00.500Z");
    expect(gcCutoff(start, parseAge("1h")!)).toBe(Date.parse("2026-12-01T11:00:00.500Z"));
    expect(tooYoungForGc(Date.parse("2026-12-01T10:59:59.000Z"), gcCutoff(start, parseAge("1h")!))).toBe(false);
  });
});

describe("whether a writer's ended run may still publish (pure)", () => {
  const closed = Date.parse("2026-12-01T12:00:00.000Z");
  it("holds for a terminated or timed-out run until a publish attempt's timeout and a minute of clock skew have passed", () => {
    expect(ENDED_WRITER_WINDOW_MS).toBe(PUBLISH_ATTEMPT_MS + 60_000);
    expect(publishMayStillLand("TERMINATED", closed, closed + ENDED_WRITER_WINDOW_MS - 1)).toBe(true);
    expect(publishMayStillLand("TIMED_OUT", closed, closed + 1000)).toBe(true);
    expect(publishMayStillLand("TERMINATED", closed, closed + ENDED_WRITER_WINDOW_MS)).toBe(false);
  });
  it("never holds for a run that ended on its own (its publish was awaited) or without a close time", () => {
    for (const status of ["COMPLETED", "FAILED", "CANCELLED", "CONTINUED_AS_NEW"]) expect(publishMayStillLand(status, closed, closed + 1)).toBe(false);
    expect(publishMayStillLand("TERMINATED", undefined, closed)).toBe(false);
  });
});

describe("a publish activity in flight in a run's history (pure)", () => {
  it("is one scheduled and never closed; other activities and closed publishes are not", () => {
    expect(publishInFlight([{ scheduled: { id: "5", type: "prepare" } }, { closed: "5" }, { scheduled: { id: "9", type: "publish" } }])).toBe(true);
    expect(publishInFlight([{ scheduled: { id: "9", type: "publishOptimized" } }, { closed: "9" }])).toBe(false);
    expect(publishInFlight([{ scheduled: { id: "9", type: "publishRepair" } }])).toBe(true);
    expect(publishInFlight([{ scheduled: { id: "5", type: "write" } }])).toBe(false);
    expect(publishInFlight([])).toBe(false);
  });
});
