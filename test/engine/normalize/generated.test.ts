import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../src/engine/connection";
import { definition, differential, testEngine } from "./helpers";

let engine: Engine;
beforeAll(async () => {
  engine = await testEngine();
});
afterAll(() => engine.close());

/** A seeded generator, so every run checks the same cells. */
function generator(seed: number): { pick<T>(xs: readonly T[]): T; int(n: number): number } {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { pick: (xs) => xs[Math.floor(next() * xs.length)], int: (n) => Math.floor(next() * n) };
}

const NUMBER_PIECES = ["", "-", "+", "0", "1", "12", "123", "1234", "007", ",", ".", "e", "E", "e-", "5", "000", " ", "\t", "inf", "INF", "inity", "NaN", "x", "9999999999999999999", "1e308", "e400", "_"];
const DATE_PIECES = ["2024", "2025", "0000", "0001", "9999", "-", "01", "02", "12", "13", "28", "29", "30", "31", "00", "1", "T", " ", "t", "12:30", "23:59:59", "24:00", ":60", ".5", ",123456789", "Z", "z", "+01:00", "-0530", "+24:00", "/"];

function cell(g: ReturnType<typeof generator>, pieces: readonly string[], maxPieces: number): string {
  let out = "";
  for (let n = 1 + g.int(maxPieces); n > 0; n--) out += g.pick(pieces);
  return out;
}

function csvCell(text: string, delimiter: string): string {
  return text.includes(delimiter) || text.includes('"') ? `"${text.replaceAll('"', '""')}"` : text;
}

function validDate(g: ReturnType<typeof generator>): string {
  return `${1990 + g.int(40)}-${String(1 + g.int(12)).padStart(2, "0")}-${String(1 + g.int(28)).padStart(2, "0")}`;
}

/** Rows of generated cells: half well-formed values, half random pieces glued together. */
function source(seed: number, rows: number, delimiter: string, dec: string): string {
  const g = generator(seed);
  const lines = [["id", "d", "v", "n", "b", "t", "f", "x"].join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const good = g.int(2) === 0;
    const num = good ? (g.int(2000000) / 100 - 10000).toFixed(g.int(4)).replace(".", dec) : cell(g, NUMBER_PIECES, 4);
    const int = good ? String(g.int(2000000) - 1000000) : cell(g, NUMBER_PIECES, 3);
    const bool = g.pick(["true", "FALSE", "Y", "n", "1", "0", "yes", "No", "maybe", "", "T "]);
    const ts = good ? `${validDate(g)}T${String(g.int(24)).padStart(2, "0")}:${String(g.int(60)).padStart(2, "0")}:00Z` : cell(g, DATE_PIECES, 5);
    const fmt = good ? `${1 + g.int(28)}/${1 + g.int(12)}/${1990 + g.int(40)}` : cell(g, ["1", "12", "31", "/", "2025", "0", " ", "x"], 5);
    const date = g.int(10) === 0 ? cell(g, DATE_PIECES, 4) : validDate(g);
    const exact = g.int(2) === 0 ? `${g.pick(["", "-", "+"])}${g.int(100000)}${dec}${String(g.int(1000)).padStart(3, "0")}${g.pick(["", "e5", "E-7", "e+2"])}` : cell(g, NUMBER_PIECES, 4);
    lines.push([`r${i}`, date, num, int, bool, ts, fmt, exact].map((c) => csvCell(c, delimiter)).join(delimiter));
  }
  return `${lines.join("\n")}\n`;
}

const COLUMNS = `
    - { name: id, type: string }
    - { name: d, type: date }
    - { name: v, type: double }
    - { name: n, type: int }
    - { name: b, type: bool }
    - { name: t, type: timestamp }
    - { name: f, type: date, format: "D/M/YYYY" }
    - { name: x, type: decimal }`;

describe("normalizeWithEngine against normalizeSource on generated cells", () => {
  for (const [delimiter, dec, seed] of [
    [",", ".", 1],
    [";", ",", 2],
    [",", ",", 3],
  ] as const) {
    it(`matches with delimiter "${delimiter}" and decimal separator "${dec}" (seed ${seed})`, async () => {
      const def = definition({ columns: COLUMNS, options: `{ delimiter: "${delimiter}", decimal_separator: "${dec}" }`, key: "[id]", extra: "on_bad_rows: quarantine\n" });
      const r = await differential(engine, def, source(seed, 3000, delimiter, dec));
      expect(r.js.badRowCount, "the generated cells include bad ones").toBeGreaterThan(100);
      expect(r.js.rows!.length, "and good ones").toBeGreaterThan(100);
      expect(r.reason).toBeNull();
      expect(r.engine).toEqual(r.js);
    });
  }
});

describe("normalizeWithEngine reading in parallel", () => {
  it("writes the same rows as the JS path, in source order, across many multi-line quoted records", async () => {
    const def = definition({ columns: `\n    - { name: id, type: string }\n    - { name: d, type: date }\n    - { name: note, type: string }`, key: "[id]" });
    const g = generator(9);
    const lines = ["id,d,note"];
    for (let i = 0; i < 120_000; i++) lines.push(`r${i},2025-01-${String(1 + (i % 28)).padStart(2, "0")},${g.int(3) === 0 ? `"line one, ""q""\nline two ${i}"` : `plain ${i}`}`);
    const bytes = `${lines.join("\n")}\n`;
    expect(bytes.length, "several DuckDB read buffers").toBeGreaterThan(4 * 1024 * 1024);
    const r = await differential(engine, def, bytes);
    expect(r.reason).toBeNull();
    expect(r.engine!.rows!.length).toBe(120_000);
    expect(r.engine).toEqual(r.js);
  });
});
