import { describe, expect, it } from "vitest";
import { literal, numberAt, numberEnd, stringEnd, ws } from "../../src/intake/json-bytes";

const b = (s: string) => Buffer.from(s, "utf8");

describe("json-bytes", () => {
  it("numberEnd finds the end of a JSON number and refuses what JSON refuses", () => {
    const cases: [string, number][] = [
      ["0,", 1],
      ["-12.5e+3}", 8],
      ["123", 3],
      ["1E9 ", 3],
      ["01", 1],
      ["-", -1],
      ["1.", -1],
      ["1e", -1],
      [".5", -1],
      ["+1", -1],
    ];
    for (const [text, end] of cases) expect(numberEnd(b(text), 0, text.length), text).toBe(end);
  });

  it("stringEnd gives the closing quote, negative-encoded when the string has escapes, -1 when invalid", () => {
    expect(stringEnd(b('abc"'), 0, 4)).toBe(3);
    expect(stringEnd(b('a\\"b"'), 0, 5)).toBe(-4 - 2);
    expect(stringEnd(b('\\u00e9"'), 0, 7)).toBe(-6 - 2);
    expect(stringEnd(b('\\u00g9"'), 0, 7)).toBe(-1);
    expect(stringEnd(b('\\x"'), 0, 3)).toBe(-1);
    expect(stringEnd(b('a\tb"'), 0, 4)).toBe(-1);
    expect(stringEnd(b("abc"), 0, 3)).toBe(-1);
    expect(stringEnd(b('é"'), 0, b('é"').length)).toBe(2);
  });

  it("literal matches a word inside the bounds only", () => {
    expect(literal(b("true}"), 0, 5, "true")).toBe(true);
    expect(literal(b("tru"), 0, 3, "true")).toBe(false);
    expect(literal(b("nul "), 0, 4, "null")).toBe(false);
  });

  it("numberAt reads a token as JSON.parse does, short and long", () => {
    for (const text of ["0", "-7", "123456789012345", "1234567890123456789", "-0.25", "6.02e23"]) {
      expect(numberAt(b(text), 0, text.length), text).toBe(JSON.parse(text));
    }
  });

  it("ws is the whitespace a line may hold (not the newline)", () => {
    expect([32, 9, 13].every(ws)).toBe(true);
    expect(ws(10)).toBe(false);
  });
});
