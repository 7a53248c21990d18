import { describe, expect, it } from "vitest";
import { compileDatePattern, daysFromCivil, monthOfDays, parseDecimal, parseDouble, parseInteger } from "../../src/normalize";
import { type DateTimeParts, parseIsoDate, parseIsoTimestamp, parseWithPattern } from "../../src/normalize/datetime";

const b = (s: string) => Buffer.from(s);
const DOT = 46;
const COMMA = 44;

describe("numbers", () => {
  it.each([
    ["0", 0],
    ["-0.5", -0.5],
    ["+12", 12],
    [".5", 0.5],
    ["5.", 5],
    ["1,234,567.25", 1234567.25],
    ["1e3", 1000],
    ["-2.5E-3", -0.0025],
    ["0.1", 0.1],
    ["12345.6789", 12345.6789],
    ["123456789012345678901234567890", 1.2345678901234568e29],
    ["0.30000000000000004", 0.30000000000000004],
    ["NaN", NaN],
    ["-inf", -Infinity],
    ["-1.2345678901234567", -1.2345678901234567],
    ["-1e30", -1e30],
    ["-1e-320", -1e-320],
    ["-12345678901234567890", -12345678901234567890],
    ["+1e30", 1e30],
    ["-1,234,567,890,123,456.5", -1234567890123456.5],
  ])("parses the double %s", (text, value) => {
    expect(parseDouble(b(text), 0, text.length, DOT)).toBe(value);
  });

  it.each(["", "-", "1.2.3", "12,5", "1,23", "1,2345", ",123", "1e", "abc", "1 000", "0x10", "1_000"])("rejects %j as a double with a '.' separator", (text) => {
    expect(parseDouble(b(text), 0, text.length, DOT)).toBeUndefined();
  });

  it("reads a decimal comma with '.' thousands groups", () => {
    expect(parseDouble(b("1.234,5"), 0, 7, COMMA)).toBe(1234.5);
    expect(parseDouble(b("-0,25"), 0, 5, COMMA)).toBe(-0.25);
    expect(parseDouble(b("1.5"), 0, 3, COMMA)).toBeUndefined();
  });

  it("parses integers exactly, as numbers when safe and bigints beyond", () => {
    expect(parseInteger(b("-42"), 0, 3, DOT)).toBe(-42);
    expect(parseInteger(b("1,000"), 0, 5, DOT)).toBe(1000);
    expect(parseInteger(b("7.000"), 0, 5, DOT)).toBe(7);
    expect(parseInteger(b("9007199254740993"), 0, 16, DOT)).toBe(9007199254740993n);
    expect(parseInteger(b("-9223372036854775808"), 0, 20, DOT)).toBe(-9223372036854775808n);
    expect(parseInteger(b("9223372036854775808"), 0, 19, DOT)).toBe("range");
    expect(parseInteger(b("1.5"), 0, 3, DOT)).toBeUndefined();
    expect(parseInteger(b("1e3"), 0, 3, DOT)).toBeUndefined();
  });

  it.each([
    ["007.50", "7.5"],
    ["+1,234.000", "1234"],
    ["-0.000", "0"],
    [".5", "0.5"],
    ["-12.340", "-12.34"],
    ["1.5e3", "1500"],
    ["1.5e-3", "0.0015"],
    ["123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"],
  ])("canonicalises the decimal %s to %s", (text, canonical) => {
    expect(parseDecimal(b(text), 0, text.length, DOT)).toBe(canonical);
  });

  it("canonicalises a decimal comma", () => {
    expect(parseDecimal(b("1.234,50"), 0, 8, COMMA)).toBe("1234.5");
  });
});

describe("dates and timestamps", () => {
  const out: DateTimeParts = { days: 0, micros: 0 };

  it("round-trips civil dates and months", () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [2000, 2, 29],
      [1900, 3, 1],
      [2025, 12, 31],
      [1, 1, 1],
      [9999, 12, 31],
    ]) {
      const days = daysFromCivil(y, m, d);
      expect(new Date(days * 86_400_000).toISOString().slice(0, 10)).toBe(`${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
      expect(monthOfDays(days)).toBe(y * 100 + m);
    }
  });

  it("parses strict ISO dates and rejects impossible ones", () => {
    expect(parseIsoDate(b("2024-02-29"), 0, 10, out)).toBe(true);
    expect(out.days).toBe(daysFromCivil(2024, 2, 29));
    for (const bad of ["2025-02-29", "2025-02-30", "2025-13-01", "2025-00-10", "2025-1-01", "20250101", "2025-01-01T00:00"]) {
      expect(parseIsoDate(b(bad), 0, bad.length, out)).toBe(false);
    }
  });

  it("parses ISO timestamps with fractions and offsets into UTC", () => {
    const cases: [string, string][] = [
      ["2025-01-31", "2025-01-31T00:00:00.000000Z"],
      ["2025-01-31T10:30", "2025-01-31T10:30:00.000000Z"],
      ["2025-01-31 10:30:15.123456", "2025-01-31T10:30:15.123456Z"],
      ["2025-01-31T10:30:15.5Z", "2025-01-31T10:30:15.500000Z"],
      ["2025-01-31T00:30:00+01:00", "2025-01-30T23:30:00.000000Z"],
      ["2025-12-31T23:30:00-0100", "2026-01-01T00:30:00.000000Z"],
    ];
    for (const [text, iso] of cases) {
      expect(parseIsoTimestamp(b(text), 0, text.length, out)).toBe(true);
      const ms = out.days * 86_400_000 + Math.floor(out.micros / 1000);
      expect(`${new Date(ms).toISOString().slice(0, 19)}.${String(out.micros % 1_000_000).padStart(6, "0")}Z`).toBe(iso);
    }
    for (const bad of ["2025-01-31T24:00", "2025-01-31T10", "2025-01-31X10:00", "2025-01-31T10:00+25:00", "2025-01-31T10:00:00.1234567891"]) {
      expect(parseIsoTimestamp(b(bad), 0, bad.length, out)).toBe(false);
    }
  });

  it.each([
    ["DD/MM/YYYY", "31/01/2025", "2025-01-31"],
    ["D/M/YYYY", "1/2/2025", "2025-02-01"],
    ["YYYYMM", "202502", "2025-02-01"],
    ["YYYY-MM", "2025-02", "2025-02-01"],
    ["YYYY", "2025", "2025-01-01"],
    ["DD.MM.YYYY HH:mm:ss", "31.01.2025 23:59:58", "2025-01-31"],
  ])("parses the pattern %s", (pattern, text, iso) => {
    const p = compileDatePattern(pattern);
    if (typeof p === "string") throw new Error(p);
    expect(parseWithPattern(p, b(text), 0, text.length, out)).toBe(true);
    expect(new Date(out.days * 86_400_000).toISOString().slice(0, 10)).toBe(iso);
  });

  it("rejects text that does not match the pattern or is no real date", () => {
    const p = compileDatePattern("DD/MM/YYYY");
    if (typeof p === "string") throw new Error(p);
    for (const bad of ["31/02/2025", "2025-01-31", "31/1/2025", "31/01/2025 ", "aa/01/2025"]) expect(parseWithPattern(p, b(bad), 0, bad.length, out)).toBe(false);
  });
});
