import { describe, expect, it } from "vitest";
import { gcCutoff, parseAge, tooYoungForGc } from "../src/maintenance";

describe("gc's age cutoff (pure)", () => {
  it("keeps every object written after the cutoff, also with S3's whole-second last-modified times", () => {
    const start = Date.parse("2026-12-01T12:00:00.500Z");
    const cutoff = gcCutoff(start, 0);
    const writtenAfter = Date.parse("2026-12-01T12:00:00.800Z");
    const wholeSecond = Math.floor(writtenAfter / 1000) * 1000;
    expect(tooYoungForGc(wholeSecond, cutoff)).toBe(true);
    expect(tooYoungForGc(writtenAfter, cutoff)).toBe(true);
    expect(tooYoungForGc(Date.parse("2026-12-01T11:59:59.999Z"), cutoff)).toBe(false);
  });

  it("counts the age back from the moment gc starts", () => {
    const start = Date.parse("2026-12-01T12:00:00.500Z");
    expect(gcCutoff(start, parseAge("1h")!)).toBe(Date.parse("2026-12-01T11:00:00.000Z"));
    expect(tooYoungForGc(Date.parse("2026-12-01T10:59:59.000Z"), gcCutoff(start, parseAge("1h")!))).toBe(false);
  });
});
