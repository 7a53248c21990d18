import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { Engine } from "../../src/engine/connection";
import { runDelta } from "../../src/engine/delta";
import { layeredRowsSql, mayRepeatKeySql, resolvedSql, type BaseSource } from "../../src/engine/delta-sql";
import { buildProjections, currentChanges, writeEventsFile } from "../../src/engine/months";
import { EngineTask } from "../../src/engine/task";
import { AppendKeyExistsError, DuplicateKeyError, SourceEmptyError } from "../../src/engine/errors";

const dir = mkdtempSync(join(tmpdir(), "tidemark-engine-"));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "256MB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(() => engine?.close());

function definition(mode: "upsert" | "snapshot" | "append", extra = "") {
  return parseDefinition(
    `id: t\nsource: { uri: "file:///x.csv", format: csv }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: d, type: date }\n    - { name: v, type: double }\n  key: [id]\n  partition_by: d\nmode: ${mode}\n${extra}`,
    "t.yaml",
  );
}

let files = 0;
/** A normalized Parquet file of `rows` ([id, date, value]) written by the engine from literal values. */
async function parquet(rows: [string, string, number | null][]): Promise<string> {
  const path = join(dir, `n${++files}.parquet`);
  const values = rows.map(([id, d, v]) => `('${id}', DATE '${d}', ${v === null ? "NULL::DOUBLE" : `${v}::DOUBLE`})`).join(", ");
  const body = rows.length === 0 ? "SELECT NULL::VARCHAR AS id, NULL::DATE AS d, NULL::DOUBLE AS v WHERE false" : `SELECT * FROM (VALUES ${values}) t(id, d, v)`;
  await engine.with((c) => c.run(`COPY (${body}) TO '${path}' (FORMAT parquet)`));
  return path;
}

async function delta(def: ReturnType<typeof definition>, normalized: string, baseIndex: string | BaseSource | null, baseRows = 0, sortInPlaceRows?: number, version = "v1") {
  const out = { index: join(dir, `i${++files}.parquet`), changes: join(dir, `c${files}.parquet`), removals: join(dir, `r${files}.parquet`) };
  const base: BaseSource = typeof baseIndex === "string" ? { kind: "index", files: [baseIndex] } : baseIndex ?? { kind: "none" };
  const outcome = await EngineTask.run(engine, 1, (task) => runDelta(task, { dataset: "t", version, definition: def, normalized, base, baseRows, out, sortInPlaceRows }));
  return { outcome, out };
}

async function rowsOf(path: string, order: string): Promise<Record<string, unknown>[]> {
  return engine.rows(`SELECT * EXCLUDE (_key_hash, file_row_number) FROM read_parquet('${path}', file_row_number = true) ORDER BY ${order}`);
}

describe("runDelta", () => {
  it("classifies inserts, updates, unchanged rows, snapshot deletes and a key moving to another month", async () => {
    const def = definition("snapshot");
    const v1 = await delta(def, await parquet([["a", "2025-01-01", 1], ["b", "2025-01-15", 2], ["c", "2025-02-01", 3]]), null);
    expect(v1.outcome).toEqual({ inserted: 3, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 3, months: [202501, 202502], index: { write: { kind: "full" }, rows: 3 } });
    const v2 = await delta(def, await parquet([["a", "2025-01-01", 1], ["b", "2025-03-15", 2], ["d", "2025-02-10", null]]), v1.out.index, 3);
    expect(v2.outcome).toEqual({ inserted: 1, updated: 1, deleted: 1, unchanged: 1, rowsTotal: 3, months: [202501, 202502, 202503], index: { write: { kind: "full" }, rows: 3 } });
    expect(await rowsOf(v2.out.changes, "file_row_number")).toEqual([
      { id: "d", d: expect.any(Object), v: null, _op: "insert", _version: "v1" },
      { id: "b", d: expect.any(Object), v: 2, _op: "update", _version: "v1" },
    ]);
    expect(await engine.rows(`SELECT month FROM read_parquet('${v2.out.removals}') ORDER BY month`)).toEqual([{ month: 202501 }, { month: 202502 }]);
  });

  it("writes the same complete index whether it sorts in place or stages its rows first (above SORT_IN_PLACE_ROWS)", async () => {
    const def = definition("snapshot");
    const rows: [string, string, number][] = Array.from({ length: 3000 }, (_, i) => [`k${i}`, `2025-${String((i % 12) + 1).padStart(2, "0")}-01`, i]);
    const v1 = await delta(def, await parquet(rows), null);
    const next = await parquet([...rows.slice(100), ["new", "2025-05-05", 1]]);
    const inPlace = await delta(def, next, v1.out.index, rows.length);
    const staged = await delta(def, next, v1.out.index, rows.length, 0);
    expect(staged.outcome).toEqual(inPlace.outcome);
    expect(inPlace.outcome).toMatchObject({ inserted: 1, deleted: 100, rowsTotal: 2901, index: { write: { kind: "full" }, rows: 2901 } });
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(staged.out.index).equals(readFileSync(inPlace.out.index))).toBe(true);
  });

  it("upsert keeps base keys the source does not carry", async () => {
    const def = definition("upsert");
    const v1 = await delta(def, await parquet([["a", "2025-01-01", 1], ["b", "2025-01-02", 2]]), null);
    const v2 = await delta(def, await parquet([["b", "2025-01-02", 5]]), v1.out.index, 2);
    expect(v2.outcome).toMatchObject({ inserted: 0, updated: 1, deleted: 0, rowsTotal: 2, index: { write: { kind: "delta", merge: 0 }, rows: 1 } });
  });

  it("refuses a duplicate key naming it and its 1-based rows; last_wins keeps the last row", async () => {
    const src = await parquet([["a", "2025-01-01", 1], ["b", "2025-01-01", 2], ["a", "2025-01-01", 3]]);
    const err = await delta(definition("upsert"), src, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as Error).message).toBe("Duplicate key id=a in data rows 1 and 3 of the source; make the keys unique in the source or set duplicates: last_wins.");
    const afterQuarantine = await EngineTask.run(engine, 1, (task) =>
      runDelta(task, { dataset: "t", version: "v1", definition: definition("upsert"), normalized: src, base: { kind: "none" }, baseRows: 0, quarantinedRows: 2, out: { index: join(dir, "iq.parquet"), changes: join(dir, "cq.parquet"), removals: join(dir, "rq.parquet") } }),
    ).catch((e: unknown) => e);
    expect((afterQuarantine as Error).message).toBe("Duplicate key id=a in data rows 1 and 3 of the source once its 2 quarantined rows are left out; make the keys unique in the source or set duplicates: last_wins.");
    const kept = await delta(definition("upsert", "duplicates: last_wins\n"), src, null);
    expect(kept.outcome.rowsTotal).toBe(2);
    expect((await rowsOf(kept.out.changes, "id")).map((r) => r.v)).toEqual([3, 2]);
  });

  it("pre-checks repeated keys on a 64-bit hash of the key hash: a row for a repeated key, none when every key is unique", async () => {
    const found = await EngineTask.run(engine, 1, async (task) => {
      const t = { src: task.table("src"), live: task.table("live"), base: task.table("base"), classified: task.table("classified") };
      const check = async (keys: string[]) => {
        await task.exec(`CREATE OR REPLACE TABLE ${t.src} AS SELECT unhex(md5(k)) AS _key_hash FROM unnest(${`['${keys.join("', '")}']`}) u(k)`);
        return (await task.rows(mayRepeatKeySql(t))).length;
      };
      return [await check(["a", "b", "c"]), await check(["a", "b", "a"])];
    });
    expect(found).toEqual([0, 1]);
  });

  it("append refuses a key that exists; an empty snapshot against rows is refused", async () => {
    const v1 = await delta(definition("append"), await parquet([["a", "2025-01-01", 1]]), null);
    await expect(delta(definition("append"), await parquet([["z", "2025-01-01", 1], ["a", "2025-01-01", 1]]), v1.out.index, 1)).rejects.toBeInstanceOf(AppendKeyExistsError);
    await expect(delta(definition("snapshot"), await parquet([]), v1.out.index, 1)).rejects.toBeInstanceOf(SourceEmptyError);
  });
});

describe("runDelta on a layered index (SPEC §2)", () => {
  type Row = [string, string, number];
  /** The index a first version of exactly `rows` writes: what the layers must resolve to. */
  async function expectedIndex(state: Map<string, Row>): Promise<Record<string, unknown>[]> {
    const full = await delta(definition("upsert"), await parquet([...state.values()]), null);
    return engine.rows(`SELECT key_hash, row_hash, month FROM read_parquet('${full.out.index}') ORDER BY key_hash`);
  }
  const resolve = (base: string[], deltas: string[]) => engine.rows(`SELECT * FROM (${resolvedSql(layeredRowsSql(base, deltas))}) ORDER BY key_hash`);

  it("writes the changed keys as layers, resolves each key to its last layer, merges layers and rewrites the index when they grow", async () => {
    const def = definition("upsert");
    const state = new Map<string, Row>();
    const apply = (rows: Row[]) => rows.forEach((r) => state.set(r[0], r));
    const initial: Row[] = Array.from({ length: 1000 }, (_, i) => [`k${i}`, `2025-${String((i % 12) + 1).padStart(2, "0")}-01`, i]);
    apply(initial);
    const v1 = await delta(def, await parquet(initial), null);
    const base = [v1.out.index];
    const deltas: string[] = [];

    const r2: Row[] = [...Array.from({ length: 10 }, (_, i): Row => [`k${i}`, "2025-01-01", -i - 1]), ...Array.from({ length: 5 }, (_, i): Row => [`n${i}`, "2025-02-01", i])];
    const v2 = await delta(def, await parquet(r2), { kind: "index", files: base, deltas }, 1000);
    apply(r2);
    expect(v2.outcome).toMatchObject({ inserted: 5, updated: 10, rowsTotal: 1005, index: { write: { kind: "delta", merge: 0 }, rows: 15 } });
    deltas.push(v2.out.index);

    const r3: Row[] = [["k0", "2025-03-01", 100], ["k500", "2025-01-01", 500.5]];
    const v3 = await delta(def, await parquet(r3), { kind: "index", files: base, deltas }, 1005);
    apply(r3);
    expect(v3.outcome).toMatchObject({ updated: 2, index: { write: { kind: "delta", merge: 0 }, rows: 2 } });
    deltas.push(v3.out.index);

    const r4: Row[] = [state.get("k0")!, state.get("k500")!, ...Array.from({ length: 10 }, (_, i): Row => [`k${100 + i}`, "2025-05-01", 7])];
    const v4 = await delta(def, await parquet(r4), { kind: "index", files: base, deltas }, 1005);
    apply(r4);
    expect(v4.outcome).toMatchObject({ unchanged: 2, updated: 10, rowsTotal: 1005, index: { write: { kind: "delta", merge: 2 }, rows: 10 + 15 + 1 } });
    deltas.splice(0, 2, v4.out.index);
    expect(await resolve(base, deltas)).toEqual(await expectedIndex(state));

    const r5: Row[] = Array.from({ length: 600 }, (_, i): Row => [`m${i}`, "2025-06-01", i]);
    const v5 = await delta(def, await parquet(r5), { kind: "index", files: base, deltas }, 1005);
    apply(r5);
    expect(v5.outcome).toMatchObject({ inserted: 600, rowsTotal: 1605, index: { write: { kind: "full" }, rows: 1605 } });
    expect(await engine.rows(`SELECT key_hash, row_hash, month FROM read_parquet('${v5.out.index}') ORDER BY key_hash`)).toEqual(await expectedIndex(state));
  });

  it("carries the index when nothing changed, and a snapshot over layers writes a complete index", async () => {
    const rows: Row[] = Array.from({ length: 100 }, (_, i) => [`k${i}`, "2025-01-01", i]);
    const v1 = await delta(definition("upsert"), await parquet(rows), null);
    const v2 = await delta(definition("upsert"), await parquet([["k1", "2025-01-01", 9]]), v1.out.index, 100);
    const same = await delta(definition("upsert"), await parquet([["k1", "2025-01-01", 9]]), { kind: "index", files: [v1.out.index], deltas: [v2.out.index] }, 100);
    expect(same.outcome).toMatchObject({ unchanged: 1, rowsTotal: 100, index: { write: { kind: "carry" }, rows: 0 } });
    const snap = await delta(definition("snapshot"), await parquet([["k1", "2025-01-01", 9], ["k2", "2025-01-01", 2]]), { kind: "index", files: [v1.out.index], deltas: [v2.out.index] }, 100);
    expect(snap.outcome).toMatchObject({ unchanged: 2, deleted: 98, rowsTotal: 2, index: { write: { kind: "full" }, rows: 2 } });
  });
});

describe("writeEventsFile and buildProjections", () => {
  it("write one event file sorted by month (deletes carry their last values, after their month's changes) and one state file per month without the leaving keys", async () => {
    const def = definition("snapshot");
    const base = await parquet([["a", "2025-01-01", 1], ["b", "2025-01-15", 2], ["c", "2025-02-01", 3]]);
    const v1 = await delta(def, base, null);
    const v2 = await delta(def, await parquet([["c", "2025-03-01", 3], ["a", "2025-01-01", 9]]), v1.out.index, 3);
    expect(v2.outcome.months).toEqual([202501, 202502, 202503]);
    const out = join(dir, `ev-${files}.parquet`);
    const run = { definition: def, version: "v2", changes: v2.out.changes, removals: v2.out.removals, baseFiles: [base] };
    expect(await EngineTask.run(engine, 2, (task) => writeEventsFile(task, run, out))).toEqual({ months: [202501, 202502, 202503], rows: 4, inserted: 0, updated: 2, deleted: 2 });
    expect(await engine.rows(`SELECT id, strftime(d, '%Y-%m-%d') AS d, v, _op, _version FROM read_parquet('${out}')`)).toEqual([
      { id: "a", d: "2025-01-01", v: 9, _op: "update", _version: "v2" },
      { id: "b", d: "2025-01-15", v: 2, _op: "delete", _version: "v2" },
      { id: "c", d: "2025-02-01", v: 3, _op: "delete", _version: "v2" },
      { id: "c", d: "2025-03-01", v: 3, _op: "update", _version: "v2" },
    ]);
    const state = { definition: def, version: "v2", changes: v2.out.changes, removals: v2.out.removals, baseFiles: [base], months: v2.outcome.months, out: (m: number) => join(dir, `st-${files}-${m}.parquet`) };
    expect(await EngineTask.run(engine, 2, (task) => buildProjections(task, state))).toEqual([
      { month: 202501, rows: 1, inserted: 1, updated: 0, deleted: 0 },
      { month: 202502, rows: 0, inserted: 0, updated: 0, deleted: 0 },
      { month: 202503, rows: 1, inserted: 1, updated: 0, deleted: 0 },
    ]);
    expect(await engine.rows(`SELECT id, v FROM read_parquet('${state.out(202501)}')`)).toEqual([{ id: "a", v: 9 }]);
  });

  it("uses a version's changes file as its event file when it has no deletes, and rewrites it for another version", async () => {
    const def = definition("upsert");
    const { readFileSync } = await import("node:fs");
    const inFileOrder = (path: string) => engine.rows(`SELECT id, v, _op, _version FROM read_parquet('${path}')`);
    const base = await parquet([["a", "2025-02-01", 1], ["b", "2025-01-01", 2], ["c", "2025-02-03", 3]]);
    const v1 = await delta(def, base, null, 0, undefined, "v1");
    const initial = { definition: def, version: "v1", changes: v1.out.changes, removals: v1.out.removals, baseFiles: [] };
    const asIs = join(dir, `as-is-${files}.parquet`);
    expect(await EngineTask.run(engine, 1, (task) => writeEventsFile(task, initial, asIs))).toEqual({ months: [202501, 202502], rows: 3, inserted: 3, updated: 0, deleted: 0 });
    expect(readFileSync(asIs).equals(readFileSync(v1.out.changes))).toBe(true);
    expect(await inFileOrder(asIs)).toEqual([
      { id: "b", v: 2, _op: "insert", _version: "v1" },
      { id: "a", v: 1, _op: "insert", _version: "v1" },
      { id: "c", v: 3, _op: "insert", _version: "v1" },
    ]);
    const rewritten = join(dir, `rewritten-${files}.parquet`);
    await EngineTask.run(engine, 1, (task) => writeEventsFile(task, { ...initial, version: "v9" }, rewritten));
    expect(await inFileOrder(rewritten)).toEqual((await inFileOrder(asIs)).map((r) => ({ ...r, _version: "v9" })));

    const v2 = await delta(def, await parquet([["d", "2025-02-05", 4], ["a", "2025-02-01", 5]]), v1.out.index, 3, undefined, "v2");
    const upsert = { definition: def, version: "v2", changes: v2.out.changes, removals: v2.out.removals, baseFiles: [base] };
    const events = join(dir, `upsert-${files}.parquet`);
    expect(await EngineTask.run(engine, 1, (task) => writeEventsFile(task, upsert, events))).toEqual({ months: [202502], rows: 2, inserted: 1, updated: 1, deleted: 0 });
    expect(readFileSync(events).equals(readFileSync(v2.out.changes))).toBe(true);
    expect(await inFileOrder(events)).toEqual([
      { id: "d", v: 4, _op: "insert", _version: "v2" },
      { id: "a", v: 5, _op: "update", _version: "v2" },
    ]);
  });

  it("reads a changes file of the form before the event-file rows (a prepare on an older worker) in the current form", async () => {
    const def = definition("upsert");
    const v1 = await delta(def, await parquet([["a", "2025-02-01", 1], ["b", "2025-01-01", 2], ["c", "2025-02-03", 3]]), null, 0, undefined, "v1");
    const legacy = join(dir, `legacy-changes-${files}.parquet`);
    await engine.with((c) =>
      c.run(`COPY (SELECT id, d, v, _op, _key_hash, (year(d) * 100 + month(d))::INTEGER AS _month, file_row_number AS _row FROM read_parquet('${v1.out.changes}', file_row_number = true) ORDER BY id DESC) TO '${legacy}' (FORMAT parquet, COMPRESSION lz4_raw)`),
    );
    const out = join(dir, `current-changes-${files}.parquet`);
    const read = (path: string) => engine.rows(`SELECT * FROM read_parquet('${path}')`);
    expect(await EngineTask.run(engine, 1, (task) => currentChanges(task, def, "v1", legacy, out))).toBe(out);
    expect(await read(out)).toEqual(await read(v1.out.changes));
    expect(await EngineTask.run(engine, 1, (task) => currentChanges(task, def, "v1", v1.out.changes, join(dir, "unused.parquet")))).toBe(v1.out.changes);
  });

  it("writes no event file for a version without events", async () => {
    const def = definition("upsert");
    const v1 = await delta(def, await parquet([["a", "2025-01-01", 1]]), null);
    const v2 = await delta(def, await parquet([["a", "2025-01-01", 1]]), v1.out.index, 1);
    const out = join(dir, `none-${files}.parquet`);
    const run = { definition: def, version: "v2", changes: v2.out.changes, removals: v2.out.removals, baseFiles: [] };
    expect(await EngineTask.run(engine, 1, (task) => writeEventsFile(task, run, out))).toEqual({ months: [], rows: 0, inserted: 0, updated: 0, deleted: 0 });
    const { existsSync } = await import("node:fs");
    expect(existsSync(out)).toBe(false);
  });

  it("writes byte-identical files when run again (create-only retries find the same bytes)", async () => {
    const def = definition("upsert");
    const rows: [string, string, number][] = Array.from({ length: 5000 }, (_, i) => [`k${i}`, `2025-${String((i % 12) + 1).padStart(2, "0")}-01`, i]);
    const v1 = await delta(def, await parquet(rows), null);
    const outs: string[][] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = { definition: def, version: "v1", changes: v1.out.changes, removals: v1.out.removals, baseFiles: [], months: v1.outcome.months, out: (m: number) => join(dir, `det-${attempt}-${m}.parquet`) };
      const events = join(dir, `det-${attempt}-events.parquet`);
      await EngineTask.run(engine, 2, async (task) => {
        await buildProjections(task, run);
        await writeEventsFile(task, run, events);
      });
      outs.push([...v1.outcome.months.map((m) => run.out(m)), events]);
    }
    const { readFileSync } = await import("node:fs");
    for (let i = 0; i < outs[0].length; i++) expect(readFileSync(outs[0][i]).equals(readFileSync(outs[1][i]))).toBe(true);
  });

  it("writes a month spanning several row groups of its staged table in key order, kept rows and changed rows interleaved", async () => {
    const def = definition("upsert");
    const n = 1_200_000;
    const shuffled = (i: number) => (i * 7919) % n;
    const id = (k: number) => `k${String(k).padStart(7, "0")}`;
    const basePath = join(dir, `big-base-${++files}.parquet`);
    await engine.with((c) => c.run(`COPY (SELECT 'k' || lpad(((i * 7919) % ${n})::VARCHAR, 7, '0') AS id, DATE '2025-01-01' + ((i % 28)::INTEGER) AS d, i::DOUBLE AS v FROM range(${n}) t(i) WHERE (i * 7919) % ${n} % 2 = 0) TO '${basePath}' (FORMAT parquet)`));
    const v1 = await delta(def, basePath, null);
    const updates: [string, string, number][] = Array.from({ length: 2000 }, (_, i) => [id(shuffled(i * 149) - (shuffled(i * 149) % 2)), "2025-01-02", -i]);
    const inserts: [string, string, number][] = Array.from({ length: 2000 }, (_, i) => [id(shuffled(i * 151) | 1), "2025-01-03", i]);
    const unique = new Map([...updates, ...inserts].map((r) => [r[0], r]));
    const v2 = await delta(def, await parquet([...unique.values()]), v1.out.index, n / 2);
    const state = { definition: def, version: "v2", changes: v2.out.changes, removals: v2.out.removals, baseFiles: [basePath], months: [202501], out: (m: number) => join(dir, `big-${files}-${m}.parquet`) };
    const [month] = await EngineTask.run(engine, 2, (task) => buildProjections(task, state));
    expect(month.rows).toBe(n / 2 + [...unique.keys()].filter((k) => Number(k.slice(1)) % 2 === 1).length);
    const [order] = await engine.rows<{ rows: bigint; unsorted: bigint; first: string; last: string }>(
      `SELECT count(*) AS rows, count(*) FILTER (WHERE prev >= id) AS unsorted, min(id) AS first, max(id) AS last FROM (SELECT id, lag(id) OVER (ORDER BY file_row_number) AS prev FROM read_parquet('${state.out(202501)}', file_row_number = true))`,
    );
    const ids = [...Array.from({ length: n / 2 }, (_, i) => id(2 * i)), ...[...unique.keys()].filter((k) => Number(k.slice(1)) % 2 === 1)].sort();
    expect(order).toEqual({ rows: BigInt(ids.length), unsorted: 0n, first: ids[0], last: ids[ids.length - 1] });
  });
});

describe("keys named in the delta's errors", () => {
  it("name a timestamp key with its microseconds, also before 1970", async () => {
    const def = parseDefinition(
      `id: t\nsource: { uri: "file:///x.csv", format: csv }\nschema:\n  columns:\n    - { name: id, type: string }\n    - { name: at, type: timestamp }\n  key: [id, at]\n  partition_by: at\nmode: append\n`,
      "t.yaml",
    );
    const path = join(dir, `n${++files}.parquet`);
    const at = "TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'";
    await engine.with((c) => c.run(`COPY (SELECT * FROM (VALUES ('a', ${at}), ('b', ${at}), ('a', ${at})) t(id, "at")) TO '${path}' (FORMAT parquet)`));
    const err = await delta(def, path, null).catch((e: unknown) => e);
    expect((err as Error).message).toBe("Duplicate key id=a, at=1969-12-31T23:59:59.999999Z in data rows 1 and 3 of the source; make the keys unique in the source or set duplicates: last_wins.");
    const v1 = await delta(def, await (async () => {
      const p = join(dir, `n${++files}.parquet`);
      await engine.with((c) => c.run(`COPY (SELECT 'a' AS id, ${at} AS "at") TO '${p}' (FORMAT parquet)`));
      return p;
    })(), null);
    const again = await delta(def, v1.out.changes, v1.out.index, 1).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/^Append mode only adds new keys, but key id=a, at=1969-12-31T23:59:59\.999999Z at row 1 already exists;/);
  });
});
