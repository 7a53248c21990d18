import { describe, expect, it } from "vitest";
import { HashSet128 } from "../../src/table/hash-set";

describe("HashSet128", () => {
  it("holds 128-bit hashes by value and grows past its initial capacity", () => {
    const words = Uint32Array.from({ length: 4 * 100 }, (_, i) => (i * 2654435761) >>> 0);
    const set = new HashSet128(2);
    for (let r = 0; r < 100; r += 2) set.add(words, r);
    set.add(words, 0);
    expect(set.size).toBe(50);
    for (let r = 0; r < 100; r++) expect(set.has(words, r)).toBe(r % 2 === 0);
    const twin = Uint32Array.from(words.subarray(8, 12));
    expect(set.has(twin, 0)).toBe(true);
    twin[3] ^= 1;
    expect(set.has(twin, 0)).toBe(false);
  });
});
