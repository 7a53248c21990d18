import { describe, expect, it } from "vitest";
import { JsonNumber, losesDigits, parseJsonRecord } from "../../src/formats/json-number";

describe("JSON numbers a double cannot hold", () => {
  it.each([
    ["9007199254740993", true],
    ["9007199254740992", true],
    ["-9223372036854775808", true],
    ["0.123456789012345678", true],
    ["12345678901234567.89", true],
    ["1.00000000000000000001", true],
    ["9007199254740991", false],
    ["1234567890123456", false],
    ["0.30000000000000004", false],
    ["1.0000000000000000", false],
    ["0.1", false],
    ["1e400", false],
  ])("%s loses digits as a double: %s", (token, loses) => {
    expect(losesDigits(token)).toBe(loses);
  });

  it("keeps the text of such numbers at the top level and reads every other value like JSON.parse", () => {
    const r = parseJsonRecord('{"a":0.123456789012345678,"b":1.5,"c":"9007199254740993","d":{"e":9007199254740993},"a2":12345678901234567}') as Record<string, unknown>;
    expect(r.a).toEqual(new JsonNumber("0.123456789012345678"));
    expect(r.a2).toEqual(new JsonNumber("12345678901234567"));
    expect(r.b).toBe(1.5);
    expect(r.c).toBe("9007199254740993");
    expect(JSON.stringify(r.d)).toBe('{"e":9007199254740992}');
  });

  it("lets the last duplicate key win, makes __proto__ an own field, and throws a SyntaxError on invalid JSON, like JSON.parse", () => {
    const r = parseJsonRecord('{"a":1,"a":12345678901234567890,"__proto__":12345678901234567890}') as Record<string, unknown>;
    expect(String(r.a)).toBe("12345678901234567890");
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.keys(r)).toEqual(["a", "__proto__"]);
    expect(() => parseJsonRecord('{"a":12345678901234567890,}')).toThrow(SyntaxError);
  });
});
