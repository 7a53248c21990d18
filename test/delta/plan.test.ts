import { describe, expect, it } from "vitest";
import { AppendKeyExistsError, DuplicateKeyError, KeyIndex, type PlanDeltaInput, planDelta } from "../../src/delta";
import { TidemarkError } from "../../src/errors";
import { type Row, entries, h, hexList, index, source } from "./helpers";

const K1 = h(0x11);
const K2 = h(0x22);
const K3 = h(0x33);
const K4 = h(0x44);
const K5 = h(0x55);
const R1 = h(0xa1);
const R2 = h(0xa2);
const R3 = h(0xa3);
const R4 = h(0xa4);
const R9 = h(0xa9);

const BASE: Row[] = [
  [K1, R1, 202501],
  [K2, R2, 202501],
  [K3, R3, 202502],
];

function plan(rows: Row[], base: KeyIndex | null, mode: PlanDeltaInput["mode"], duplicates: PlanDeltaInput["duplicates"] = "error", names?: string[]) {
  return planDelta({ ...source(rows), base, mode, duplicates, describeKey: names ? (r) => names[r] : undefined });
}

function months(p: ReturnType<typeof plan>): Record<number, { inserted: number; updated: number; deleted: number }> {
  return Object.fromEntries(p.byMonth);
}

describe("planDelta, upsert", () => {
  const rows: Row[] = [
    [K1, R1, 202501],
    [K2, R9, 202501],
    [K4, R4, 202503],
  ];

  it("classifies unchanged, updated and new keys and keeps absent ones", () => {
    const p = plan(rows, index(BASE), "upsert");
    expect(Array.from(p.ops)).toEqual([0, 2, 1]);
    expect(p.deletes.months.length).toBe(0);
    expect(p.moves.rows.length).toBe(0);
    expect(p.counts).toEqual({ inserted: 1, updated: 1, deleted: 0, unchanged: 1, rowsTotal: 4, moved: 0, dropped: 0 });
    expect(months(p)).toEqual({ 202501: { inserted: 0, updated: 1, deleted: 0 }, 202503: { inserted: 1, updated: 0, deleted: 0 } });
    expect([...p.byMonth.keys()]).toEqual([202501, 202503]);
    expect(entries(p.nextIndex)).toEqual([
      [K1, R1, 202501],
      [K2, R9, 202501],
      [K3, R3, 202502],
      [K4, R4, 202503],
    ]);
  });

  it("leaves the base index untouched", () => {
    const base = index(BASE);
    plan(rows, base, "upsert");
    expect(entries(base)).toEqual(BASE);
  });

  it("updates the base in place with consumeBase", () => {
    const base = index(BASE);
    const p = planDelta({ ...source(rows), base, mode: "upsert", duplicates: "error", consumeBase: true });
    expect(p.nextIndex).toBe(base);
    expect(entries(base).map((e) => e[0])).toEqual([K1, K2, K3, K4]);
  });

  it("treats an empty source as no change", () => {
    const p = plan([], index(BASE), "upsert");
    expect(p.ops.length).toBe(0);
    expect(p.counts).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 3, moved: 0, dropped: 0 });
    expect(p.byMonth.size).toBe(0);
    expect(entries(p.nextIndex)).toEqual(BASE);
  });

  it("inserts everything against an empty or missing base", () => {
    for (const base of [null, new KeyIndex()]) {
      const p = plan(rows, base, "upsert");
      expect(Array.from(p.ops)).toEqual([1, 1, 1]);
      expect(p.counts).toEqual({ inserted: 3, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 3, moved: 0, dropped: 0 });
      expect(months(p)).toEqual({ 202501: { inserted: 2, updated: 0, deleted: 0 }, 202503: { inserted: 1, updated: 0, deleted: 0 } });
      expect(entries(p.nextIndex)).toEqual([
        [K1, R1, 202501],
        [K2, R9, 202501],
        [K4, R4, 202503],
      ]);
    }
  });

  it("moves a key whose month changed: update in the new month, delete in the old", () => {
    const p = plan(
      [
        [K1, R9, 202502],
        [K3, R3, 202504],
      ],
      index(BASE),
      "upsert",
    );
    expect(Array.from(p.ops)).toEqual([2, 2]);
    expect(Array.from(p.moves.rows)).toEqual([0, 1]);
    expect(Array.from(p.moves.fromMonths)).toEqual([202501, 202502]);
    expect(p.counts).toEqual({ inserted: 0, updated: 2, deleted: 0, unchanged: 0, rowsTotal: 3, moved: 2, dropped: 0 });
    expect(months(p)).toEqual({
      202501: { inserted: 0, updated: 0, deleted: 1 },
      202502: { inserted: 0, updated: 1, deleted: 1 },
      202504: { inserted: 0, updated: 1, deleted: 0 },
    });
    expect(entries(p.nextIndex)).toEqual([
      [K1, R9, 202502],
      [K2, R2, 202501],
      [K3, R3, 202504],
    ]);
  });
});

describe("planDelta, snapshot", () => {
  it("deletes base keys missing from the source", () => {
    const p = plan(
      [
        [K4, R4, 202503],
        [K2, R9, 202501],
      ],
      index(BASE),
      "snapshot",
    );
    expect(Array.from(p.ops)).toEqual([1, 2]);
    expect(hexList(p.deletes.keyHashes)).toEqual([K1, K3]);
    expect(Array.from(p.deletes.months)).toEqual([202501, 202502]);
    expect(p.counts).toEqual({ inserted: 1, updated: 1, deleted: 2, unchanged: 0, rowsTotal: 2, moved: 0, dropped: 0 });
    expect(months(p)).toEqual({
      202501: { inserted: 0, updated: 1, deleted: 1 },
      202502: { inserted: 0, updated: 0, deleted: 1 },
      202503: { inserted: 1, updated: 0, deleted: 0 },
    });
    expect(entries(p.nextIndex)).toEqual([
      [K2, R9, 202501],
      [K4, R4, 202503],
    ]);
  });

  it("deletes everything for an empty source, in key byte order", () => {
    const A = "01ffffffffffffffffffffffffffffff";
    const B = "02000000000000000000000000000000";
    const p = plan([], index([[B, R2, 202502], [A, R1, 202501]]), "snapshot");
    expect(hexList(p.deletes.keyHashes)).toEqual([A, B]);
    expect(Array.from(p.deletes.months)).toEqual([202501, 202502]);
    expect(p.counts.rowsTotal).toBe(0);
    expect(p.nextIndex.size).toBe(0);
  });

  it("keeps unchanged keys", () => {
    const p = plan(BASE, index(BASE), "snapshot");
    expect(Array.from(p.ops)).toEqual([0, 0, 0]);
    expect(p.counts).toEqual({ inserted: 0, updated: 0, deleted: 0, unchanged: 3, rowsTotal: 3, moved: 0, dropped: 0 });
    expect(p.byMonth.size).toBe(0);
  });
});

describe("planDelta, append", () => {
  it("inserts new keys", () => {
    const p = plan([[K4, R4, 202503], [K5, R4, 202503]], index(BASE), "append");
    expect(Array.from(p.ops)).toEqual([1, 1]);
    expect(p.counts).toEqual({ inserted: 2, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 5, moved: 0, dropped: 0 });
    expect(entries(p.nextIndex).map((e) => e[0])).toEqual([K1, K2, K3, K4, K5]);
  });

  it("refuses keys that already exist, even unchanged", () => {
    const run = () => plan([[K4, R4, 202503], [K2, R2, 202501], [K1, R9, 202501]], index(BASE), "append", "error", ["id=4", "id=2", "id=1"]);
    expect(run).toThrow(AppendKeyExistsError);
    expect(run).toThrow(
      "Append mode only adds new keys, but key id=2 at row 2 already exists (and 1 more existing key); remove rows already ingested from the source, or use mode upsert to update existing keys.",
    );
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(TidemarkError);
      expect((e as AppendKeyExistsError).row).toBe(1);
      expect((e as AppendKeyExistsError).count).toBe(2);
    }
  });
});

describe("planDelta, duplicate keys", () => {
  const rows: Row[] = [
    [K1, R1, 202501],
    [K2, R2, 202501],
    [K1, R9, 202501],
    [K3, R3, 202502],
    [K2, R4, 202501],
    [K1, R4, 202503],
  ];
  const names = ["series_id=A, obs_date=2025-01-01", "series_id=B", "series_id=A, obs_date=2025-01-01", "series_id=C", "series_id=B", "series_id=A, obs_date=2025-01-01"];

  it("fails under duplicates: error, naming the key, rows and how many others", () => {
    const run = () => plan(rows, null, "upsert", "error", names);
    expect(run).toThrow(DuplicateKeyError);
    expect(run).toThrow(
      "Duplicate key series_id=A, obs_date=2025-01-01 in data rows 1 and 3 of the source (3 rows in all; and 1 more duplicate key); make the keys unique in the source or set duplicates: last_wins.",
    );
    try {
      run();
    } catch (e) {
      const d = e as DuplicateKeyError;
      expect(d.rows).toEqual([0, 2]);
      expect(d.occurrences).toBe(3);
      expect(d.otherKeys).toBe(1);
    }
  });

  it("names a single duplicate simply, with the key hash when no describer is given", () => {
    const run = () => plan([[K1, R1, 202501], [K1, R2, 202501]], null, "snapshot");
    expect(run).toThrow(`Duplicate key key_hash=${K1} in data rows 1 and 2 of the source; make the keys unique in the source or set duplicates: last_wins.`);
  });

  it("keeps the last row under duplicates: last_wins", () => {
    const p = plan(rows, index(BASE), "upsert", "last_wins");
    expect(Array.from(p.ops)).toEqual([3, 3, 3, 0, 2, 2]);
    expect(Array.from(p.moves.rows)).toEqual([5]);
    expect(Array.from(p.moves.fromMonths)).toEqual([202501]);
    expect(p.counts).toEqual({ inserted: 0, updated: 2, deleted: 0, unchanged: 1, rowsTotal: 3, moved: 1, dropped: 3 });
    expect(months(p)).toEqual({ 202501: { inserted: 0, updated: 1, deleted: 1 }, 202503: { inserted: 0, updated: 1, deleted: 0 } });
    expect(entries(p.nextIndex)).toEqual([
      [K1, R4, 202503],
      [K2, R4, 202501],
      [K3, R3, 202502],
    ]);
  });

  it("drops earlier duplicates in append and snapshot modes too", () => {
    const a = plan([[K4, R1, 202503], [K4, R2, 202503]], index(BASE), "append", "last_wins");
    expect(Array.from(a.ops)).toEqual([3, 1]);
    const s = plan([[K1, R9, 202501], [K1, R1, 202501]], index(BASE), "snapshot", "last_wins");
    expect(Array.from(s.ops)).toEqual([3, 0]);
    expect(hexList(s.deletes.keyHashes)).toEqual([K2, K3]);
  });
});

describe("planDelta input checks", () => {
  it("rejects short arrays and non-positive months", () => {
    const s = source([[K1, R1, 202501]]);
    expect(() => planDelta({ ...s, rowCount: 2, base: null, mode: "upsert", duplicates: "error" })).toThrow(/keyHashes holds 1 hashes for 2 rows/);
    expect(() => planDelta({ ...s, months: new Int32Array([0]), base: null, mode: "upsert", duplicates: "error" })).toThrow(/month 0/);
  });
});
