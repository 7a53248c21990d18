import { describe, expect, it } from "vitest";
import { type DeltaMode, type DuplicatePolicy, type IndexChunk, KeyIndex, planDelta, planDeltaStreaming } from "../../src/delta";
import { hashToHex } from "../../src/hash";
import { seededRandom } from "../support/random";
import { type Row, entries, hexList, index, source } from "./helpers";

interface Expected {
  ops: number[];
  counts: Record<string, number>;
  byMonth: Array<[number, { inserted: number; updated: number; deleted: number }]>;
  deletes: Array<[string, number]>;
  moves: Array<[number, number]>;
  next: Row[];
}

/** A deliberately naive reference written with Maps of hex strings. */
function reference(rows: Row[], base: Row[], mode: DeltaMode, duplicates: DuplicatePolicy): Expected | "duplicate" | "exists" {
  const ops: number[] = new Array(rows.length).fill(-1);
  const latest = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const k = rows[i][0];
    const before = latest.get(k);
    if (before !== undefined) {
      if (duplicates === "error") return "duplicate";
      ops[before] = 3;
    }
    latest.set(k, i);
  }
  const baseMap = new Map(base.map(([k, r, m]) => [k, { r, m }]));
  const next = new Map(mode === "snapshot" ? [] : baseMap);
  const counts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0, moved: 0, dropped: 0 };
  const byMonth = new Map<number, { inserted: number; updated: number; deleted: number }>();
  const bm = (m: number) => byMonth.get(m) ?? byMonth.set(m, { inserted: 0, updated: 0, deleted: 0 }).get(m)!;
  const moves: Array<[number, number]> = [];
  for (let i = 0; i < rows.length; i++) {
    if (ops[i] === 3) {
      counts.dropped++;
      continue;
    }
    const [k, r, m] = rows[i];
    const b = baseMap.get(k);
    if (b === undefined) {
      ops[i] = 1;
      counts.inserted++;
      bm(m).inserted++;
    } else if (mode === "append") {
      return "exists";
    } else if (b.r === r && b.m === m) {
      ops[i] = 0;
      counts.unchanged++;
    } else {
      ops[i] = 2;
      counts.updated++;
      bm(m).updated++;
      if (b.m !== m) {
        counts.moved++;
        moves.push([i, b.m]);
        bm(b.m).deleted++;
      }
    }
    next.set(k, { r, m });
  }
  const deletes: Array<[string, number]> = [];
  if (mode === "snapshot") {
    for (const [k, { m }] of baseMap) {
      if (!latest.has(k)) {
        deletes.push([k, m]);
        bm(m).deleted++;
        counts.deleted++;
      }
    }
  }
  deletes.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  counts.rowsTotal = next.size;
  const nextRows: Row[] = [...next].map(([k, { r, m }]) => [k, r, m] as Row).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { ops, counts, byMonth: [...byMonth].sort((a, b) => a[0] - b[0]), deletes, moves, next: nextRows };
}

function randomHex(next: () => number): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += Math.floor(next() * 256).toString(16).padStart(2, "0");
  return s;
}

function randomCase(seed: number, size: number) {
  const next = seededRandom(seed);
  const universe = Array.from({ length: size }, (_, i) => (i % 5 === 0 && i > 0 ? randomHex(next).slice(0, 24) + "00000000" : randomHex(next)));
  const sharedPrefix = universe[1].slice(0, 8);
  universe[2] = sharedPrefix + universe[2].slice(8);
  const rowHashes = [randomHex(next), randomHex(next), randomHex(next)];
  const monthsPool = [202412, 202501, 202502];
  const pick = <T,>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const baseKeys = universe.filter(() => next() < 0.5);
  const base: Row[] = baseKeys.map((k) => [k, pick(rowHashes), pick(monthsPool)]);
  const sourceSize = Math.floor(next() * size);
  const avoidDuplicates = next() < 0.5;
  const pool = avoidDuplicates ? [...universe].sort(() => next() - 0.5).slice(0, sourceSize) : Array.from({ length: sourceSize }, () => pick(universe));
  const rows: Row[] = pool.map((k) => [k, pick(rowHashes), pick(monthsPool)]);
  const mode = pick<DeltaMode>(["upsert", "snapshot", "append"]);
  const duplicates = pick<DuplicatePolicy>(["error", "last_wins"]);
  const appendSafe = mode === "append" && next() < 0.7;
  const inBase = new Set(baseKeys);
  const appendRows = appendSafe ? rows.filter(([k]) => !inBase.has(k)) : rows;
  return { base, rows: appendRows, mode, duplicates, chunk: 1 + Math.floor(next() * 7) };
}

async function check(seed: number, size: number): Promise<string> {
  const { base, rows, mode, duplicates, chunk } = randomCase(seed, size);
  const want = reference(rows, base, mode, duplicates);
  const input = { ...source(rows), mode, duplicates };
  const baseIndex = base.length > 0 ? index(base) : null;
  const emitted: Row[] = [];
  const streaming = () =>
    planDeltaStreaming({
      ...input,
      base: baseIndex ? baseIndex.chunks(chunk) : null,
      indexChunkSize: chunk + 1,
      onIndexChunk: (c: IndexChunk) => {
        for (let i = 0; i < c.length; i++) emitted.push([hashToHex(c.keyHashes, i), hashToHex(c.rowHashes, i), c.months[i]]);
      },
    });
  if (want === "duplicate" || want === "exists") {
    const name = want === "duplicate" ? "DuplicateKeyError" : "AppendKeyExistsError";
    expect(() => planDelta({ ...input, base: baseIndex })).toThrow(expect.objectContaining({ name }));
    await expect(streaming()).rejects.toMatchObject({ name });
    return want;
  }
  const got = planDelta({ ...input, base: baseIndex });
  const streamed = await streaming();
  for (const p of [got, streamed]) {
    expect(Array.from(p.ops)).toEqual(want.ops);
    expect(p.counts).toEqual(want.counts);
    expect([...p.byMonth]).toEqual(want.byMonth);
    expect(hexList(p.deletes.keyHashes).map((k, i) => [k, p.deletes.months[i]])).toEqual(want.deletes);
    expect(Array.from(p.moves.rows, (r, i) => [r, p.moves.fromMonths[i]])).toEqual(want.moves);
  }
  expect(entries(got.nextIndex)).toEqual(want.next);
  expect(emitted).toEqual(want.next);
  expect(streamed.nextIndexSize).toBe(want.next.length);
  return mode;
}

describe("planDelta against a naive reference", () => {
  it("agrees on 300 small random cases (every mode and policy)", async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) seen.add(await check(seed, 3 + (seed % 40)));
    expect(seen).toEqual(new Set(["upsert", "snapshot", "append", "duplicate", "exists"]));
  });

  it("agrees on larger cases that take the radix-sort paths", async () => {
    for (let seed = 1001; seed <= 1004; seed++) await check(seed, 5000);
  });

  it("keeps the base index untouched", () => {
    const base = index([["0".repeat(32), "1".repeat(32), 202501]]);
    planDelta({ ...source([]), base, mode: "snapshot", duplicates: "error" });
    expect(base.size).toBe(1);
    expect(new KeyIndex().size).toBe(0);
  });
});
