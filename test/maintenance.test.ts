import { describe, expect, it } from "vitest";
import { gcCutoff, parseAge, tooYoungForGc } from "../src/maintenance";

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
