import { describe, expect, it } from "vitest";
import { batchesOf, chunksOf, stagedInTurn } from "../../src/engine/batches";

describe("batchesOf", () => {
  it("groups consecutive items up to the row budget; an item above it stands alone; order is kept", () => {
    const rows: Record<string, number> = { a: 3, b: 4, c: 2, d: 12, e: 1, f: 0, g: 10 };
    expect(batchesOf(Object.keys(rows), (k) => rows[k], 10)).toEqual([["a", "b", "c"], ["d"], ["e", "f"], ["g"]]);
  });

  it("makes no batch of nothing", () => {
    expect(batchesOf([], () => 1, 10)).toEqual([]);
    expect(batchesOf(["x", "y"], () => 0, 10)).toEqual([["x", "y"]]);
  });
});

describe("chunksOf", () => {
  it("cuts consecutive items at the size, in order", () => {
    expect(chunksOf([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(chunksOf([], 3)).toEqual([]);
    expect(chunksOf([1, 2], 0)).toEqual([[1], [2]]);
  });

  it("also cuts where two neighbours may not share a chunk", () => {
    const batch: Record<string, number> = { a: 0, b: 0, c: 1, d: 1, e: 1, f: 2 };
    expect(chunksOf(Object.keys(batch), 2, (x, y) => batch[x] === batch[y])).toEqual([["a", "b"], ["c", "d"], ["e"], ["f"]]);
  });
});

describe("stagedInTurn", () => {
  it("stages a batch only after every item of the previous one is ready and that batch is dropped", async () => {
    const log: string[] = [];
    const readyOf = new Map<string, () => void>();
    const ready = new Map<string, Promise<void>>();
    for (const item of ["a", "b", "c", "d"]) ready.set(item, new Promise<void>((resolve) => readyOf.set(item, resolve)));
    const phaseOf = stagedInTurn(
      [["a", "b"], ["c"], ["d"]],
      async (batch) => {
        log.push(`stage ${batch.join("")}`);
        return { batch, drop: async () => void log.push(`drop ${batch.join("")}`) };
      },
      (item) => ready.get(item)!,
    );
    expect((await phaseOf("a")).batch).toEqual(["a", "b"]);
    expect(await phaseOf("b")).toBe(await phaseOf("a"));
    const c = phaseOf("c");
    readyOf.get("a")!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["stage ab"]);
    readyOf.get("b")!();
    expect((await c).batch).toEqual(["c"]);
    readyOf.get("c")!();
    expect((await phaseOf("d")).batch).toEqual(["d"]);
    expect(log).toEqual(["stage ab", "drop ab", "stage c", "drop c", "stage d"]);
    await expect(phaseOf("z")).rejects.toThrow(/no batch/);
  });
});
