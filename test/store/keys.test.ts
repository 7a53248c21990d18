import { describe, expect, it } from "vitest";
import { InvalidKeyError } from "../../src/errors";
import { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from "../../src/store/keys";

describe("assertValidKey", () => {
  it.each([
    "a",
    "datasets/x/current/manifest.json",
    "dir with space/ñandú ü 数据.txt",
    ".hidden/..dots/...",
    "emoji 🦆",
    "a".repeat(MAX_KEY_BYTES),
  ])("accepts %j", (key) => {
    expect(assertValidKey(key)).toBe(key);
  });

  it.each(["", "/abs", "a//b", "a/", "../x", "a/../b", "./a", "a/.", "nul\0byte", "lone\uD800surrogate", "ü".repeat(MAX_KEY_BYTES / 2 + 1)])(
    "rejects %j",
    (key) => {
      expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
    },
  );
});

describe("assertValidPrefix", () => {
  it.each(["", "a/", "a/b", "events/2026", "a/.", "x/.."])("accepts %j", (prefix) => {
    expect(assertValidPrefix(prefix)).toBe(prefix);
  });

  it.each(["/", "/a", "a//", "../a", "a/../b/", "nul\0"])("rejects %j", (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(InvalidKeyError);
  });
});

describe("compareKeys", () => {
  it("orders by UTF-8 bytes like S3, not by UTF-16 code units", () => {
    const keys = ["a/b", "a-c", "a0", "\uFF5E", "😀", "Z"];
    expect([...keys].sort(compareKeys)).toEqual(["Z", "a-c", "a/b", "a0", "\uFF5E", "😀"]);
    expect([...keys].sort()).not.toEqual([...keys].sort(compareKeys));
  });
});
