import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetDefinition } from "../../../src/definition";
import { EngineNormalizeError, normalizeWithEngine } from "../../../src/engine/normalize";
import { BadRowsError } from "../../../src/normalize";
import type { Engine } from "../../../src/engine/connection";
import type { ReadLimits } from "../../../src/formats";
import { definition, differential } from "./helpers";
import { testEngine } from "./helpers";

let engine: Engine;
beforeAll(async () => {
  engine = await testEngine();
});
afterAll(() => engine.close());

const BASE = `
    - { name: id, type: string }
    - { name: d, type: date }
    - { name: v, type: double }`;
const base = (extra = "", options?: string) => definition({ columns: BASE, extra, options });
const quarantine = (options?: string) => base("on_bad_rows: quarantine\n", options);

const ALL_TYPES = `
    - { name: id, type: string, from: code, trim: false }
    - { name: d, type: date, from: period, format: "DD/MM/YYYY" }
    - { name: v, type: double }
    - { name: approx, type: decimal, decimal: double }
    - { name: n, type: int }
    - { name: ok, type: bool, true_values: ["Si", "YES"], false_values: ["no"] }
    - { name: at, type: timestamp, format: "YYYY-MM-DD HH:mm:ss.SSS" }
    - { name: iso, type: timestamp }`;

interface Case {
  readonly name: string;
  readonly def: DatasetDefinition;
  readonly bytes: string | Buffer;
  readonly limits?: ReadLimits;
  /** What the case must show on the JS side, so it exercises what its name says. */
  readonly shows: "rows" | "bad rows" | "error";
}

/** Cases the engine must reproduce exactly. */
const SAME: Case[] = [
  { name: "the SPEC example with CRLF, blanks to trim and an extra column", def: base(), bytes: "id,d,v,ignored\r\n A ,2025-01-31, 1.5 ,x\r\nB,2024-12-01,,y\r\n", shows: "rows" },
  {
    name: "every type with renames, formats, null tokens, ';' and decimal comma",
    def: definition({ columns: ALL_TYPES, options: `{ delimiter: ";", decimal_separator: ",", null_values: ["", "NA", "-"] }`, extra: "on_bad_rows: quarantine\n" }),
    bytes:
      "code;period;v;approx;n;ok;at;iso\n" +
      " x ;31/01/2025;1.234,5;2,5;-9.223.372.036.854.775.808;si;2025-01-31 23:59:59.123;2025-01-31T23:59:59.1234567+05:30\n" +
      "B;01/02/2025;NA;-;-;no;-;2025-02-01\n" +
      "C;29/02/2024;-0;1e3;+12,000;YES;0001-01-01 00:00:00.000;2025-02-01t00:00z\n" +
      "D;1/2/2024;nan;-INF;007;NO;9999-12-31 23:59:59.999;2025-02-01 23:59:59,5-0100\n" +
      "E;01/03/2024;+inf;1,5e-3;0;yes;2024-03-01 00:00:00.5;2024-03-01\n",
    shows: "bad rows",
  },
  {
    name: "quotes, doubled quotes, embedded line breaks and quote characters inside unquoted fields",
    def: quarantine(),
    bytes: 'id,d,v\n"a,b",2025-01-01,1\n"say ""hi""",2025-01-02,2\n"two\nlines",2025-01-03,3\nx"y"z,2025-01-04,4\n"",2025-01-05,5\n"""",2025-01-06,"6"\n" padded ",2025-01-07,7\n',
    shows: "bad rows",
  },
  { name: "negative doubles beyond 15 significant digits or a ±22 exponent", def: base(), bytes: "id,d,v\nA,2025-01-01,-1.2345678901234567\nB,2025-01-02,-1e30\nC,2025-01-03,-1e-320\nD,2025-01-04,-12345678901234567890\n", shows: "rows" },
  { name: "a UTF-8 BOM, no final newline and multibyte text", def: base(), bytes: "\ufeffid,d,v\nÅsa ✓,2025-01-01,1\nß,2025-01-02,2", shows: "rows" },
  {
    name: "no header, skip_rows and numbered columns",
    def: definition({ columns: `\n    - { name: id, type: string, from: 2 }\n    - { name: d, type: date, from: 1 }`, options: "{ header: false, skip_rows: 2 }" }),
    bytes: "report of 2025\nexported by x\n2025-01-01,A\n2025-01-02,B\n",
    shows: "rows",
  },
  { name: "a header-only file", def: base(), bytes: "id,d,v\n", shows: "rows" },
  { name: "control characters in cells (NUL, the engine's own null mark)", def: quarantine(), bytes: "id,d,v\na\u0000b,2025-01-01,1\n\u0001,2025-01-02,2\nc,2025-01-03,\u0001\n", shows: "bad rows" },
  {
    name: "empty values with and without an empty null token, non-nullable columns",
    def: definition({ columns: `${BASE}\n    - { name: s, type: string }\n    - { name: m, type: int, nullable: false }`, options: '{ null_values: ["NULL"] }', extra: "on_bad_rows: quarantine\n" }),
    bytes: "id,d,v,s,m\nA,2025-01-01,1,,1\nB,2025-01-02,NULL,NULL,2\nC,2025-01-03,,x,3\nD,2025-01-04,4,y,NULL\n",
    shows: "bad rows",
  },
  {
    name: "nulls and invalid values under quarantine, several bad cells in one row",
    def: quarantine(),
    bytes: 'id,d,v\nA,2025-01-01,1\nB,2025-01-02,"12,5x"\nC,2025-02-30,3\n,2025-01-03,4\nD,2025-01-04,x\n,0000-01-01,x\nE,2025-01-05,5\n',
    shows: "bad rows",
  },
  {
    name: "bad rows under on_bad_rows: fail (the same error, rows and count)",
    def: base(),
    bytes: 'id,d,v\nA,2025-01-01,1\nB,2025-01-02,"12,5x"\nC,2025-02-30,3\n,2025-01-03,4\nD,2025-01-04,x\n',
    shows: "error",
  },
  { name: "bad rows after blank lines and multi-line records (lines from the first batch)", def: quarantine(), bytes: 'id,d,v\nA,2025-01-01,"1\n2"\n\nB,2025-01-02,x\nC,2025-01-03,"3\n"\n', shows: "bad rows" },
  { name: "bad rows past the first batch of a one-record-per-line file", def: quarantine(), bytes: `id,d,v\n${"A,2025-01-01,1\n".repeat(70_000)}B,2025-01-02,x\nC,2025-01-03,3`, shows: "bad rows" },
  { name: "1,500 bad rows: 1,000 kept, all counted", def: quarantine(), bytes: `id,d,v\n${Array.from({ length: 1500 }, (_, i) => `S${i},2025-01-01,bad`).join("\n")}\nok,2025-01-01,1\n`, shows: "bad rows" },
  { name: "a missing column", def: base(), bytes: "id,date,v,extra\nA,2025-01-01,1,x\n", shows: "error" },
  { name: "a missing column in a header-only file", def: base(), bytes: "id,date,v\n", shows: "error" },
  { name: "an ambiguous column", def: base(), bytes: "id,d,v,v\nA,2025-01-01,1,2\n", shows: "error" },
  { name: "an empty file", def: base(), bytes: "", shows: "error" },
  { name: "a quote never closed (found by the JS reader's first chunk)", def: base(), bytes: 'id,d,v\nA,2025-01-01,1\n"B,2025-01-02,2\n', shows: "error" },
  { name: "a blank after a closing quote (found by the JS reader's first chunk)", def: base(), bytes: 'id,d,v\n"A" ,2025-01-01,1\n', shows: "error" },
  { name: "text after a closing quote", def: base(), bytes: 'id,d,v\n"A"x,2025-01-01,1\n', shows: "error" },
  { name: "invalid UTF-8 in the first chunk", def: base(), bytes: Buffer.from([...Buffer.from("id,d,v\nA"), 0xff, ...Buffer.from(",2025-01-01,1\n")]), shows: "error" },
  { name: "more rows than TIDEMARK_MAX_ROWS", def: base(), bytes: "id,d,v\nA,2025-01-01,1\nB,2025-01-02,2\nC,2025-01-03,3\n", limits: { rows: 2 }, shows: "error" },
  { name: "more rows than TIDEMARK_MAX_ROWS, one of them bad", def: quarantine(), bytes: "id,d,v\nA,2025-01-01,1\nB,2025-01-02,bad\nC,2025-01-03,3\n", limits: { rows: 2 }, shows: "error" },
  { name: "as many rows as TIDEMARK_MAX_ROWS", def: base(), bytes: "id,d,v\nA,2025-01-01,1\nB,2025-01-02,2\n", limits: { rows: 2 }, shows: "rows" },
  { name: "more columns than TIDEMARK_MAX_COLUMNS", def: base(), bytes: "id,d,v,w\nA,2025-01-01,1,2\n", limits: { columns: 3 }, shows: "error" },
  { name: "a header over TIDEMARK_MAX_ROW_BYTES", def: base(), bytes: `id,d,v,${"x".repeat(100)}\nA,2025-01-01,1,2\n`, limits: { rowBytes: 64 }, shows: "error" },
  {
    name: "numbers: groups, exponents, signs, specials and near-misses",
    def: definition({ columns: `${BASE}\n    - { name: n, type: int }`, extra: "on_bad_rows: quarantine\n" }),
    bytes: [
      "id,d,v,n",
      'a,2025-01-01,"1,234,567.5","1,234"',
      'b,2025-01-01,"12,34",1.000',
      "c,2025-01-01,.5,.0",
      "d,2025-01-01,1.,-0",
      "e,2025-01-01,1e400,9223372036854775807",
      "f,2025-01-01,-1e400,9223372036854775808",
      "g,2025-01-01,1e-400,-9223372036854775809",
      "h,2025-01-01,-1e-400,1.5",
      "i,2025-01-01,+Infinity,1e3",
      "j,2025-01-01,-inf,+",
      "k,2025-01-01,NaN,00000000000000000000012",
      'l,2025-01-01,"1,2345",",123"',
      "m,2025-01-01,0.1000000000000000055511151231257827,123456789012345678",
      "n,2025-01-01,123456789012345678901234567890,-.0",
      "o,2025-01-01,1_000,1 000",
      "p,2025-01-01,e5,0x10",
      "q,2025-01-01,+-1,--1",
      'r,2025-01-01,\tinf\t, 7 ',
      "",
    ].join("\n"),
    shows: "bad rows",
  },
  {
    name: "exact decimals: canonical text, exponents, zeros, signs and the 10,000-place bound",
    def: definition({ columns: `${BASE}\n    - { name: x, type: decimal }\n    - { name: y, type: decimal }`, options: '{ decimal_separator: "," }', extra: "on_bad_rows: quarantine\n" }),
    bytes: [
      "id,d,v,x,y",
      'a,2025-01-01,1,"0001,50","-0,000"',
      'b,2025-01-01,1,"1.234.567,890","+12,5e3"',
      'c,2025-01-01,1,"1,5E-3",-1e10000',
      'd,2025-01-01,1,1e-10001,"0,0e99999999999"',
      'e,2025-01-01,1,"-,5","5,"',
      'f,2025-01-01,1,"1.5","12,3,4"',
      "g,2025-01-01,1,00100,-000.000",
      'h,2025-01-01,1,"123,456e2","123,456e-2"',
      "i,2025-01-01,1,1e99999999999,NaN",
      "",
    ].join("\n"),
    shows: "bad rows",
  },
  {
    name: "booleans, including the Kelvin sign and tokens in other cases",
    def: definition({ columns: `${BASE}\n    - { name: b, type: bool }\n    - { name: k, type: bool, true_values: [ok], false_values: [ko] }`, extra: "on_bad_rows: quarantine\n" }),
    bytes: "id,d,v,b,k\na,2025-01-01,1,TRUE,OK\nb,2025-01-01,1,n,o\u212a\nc,2025-01-01,1,Yes,\u212ao\nd,2025-01-01,1,2,İ\ne,2025-01-01,1,ＴRUE,ok\n",
    shows: "bad rows",
  },
  {
    name: "ISO timestamps: offsets, fractions, impossible times and malformed shapes",
    def: definition({ columns: `\n    - { name: id, type: string }\n    - { name: d, type: timestamp }`, extra: "on_bad_rows: quarantine\n" }),
    bytes: [
      "id,d",
      "a,2025-01-01T00:00:00Z",
      "b,2025-01-01 12:30",
      "c,2025-01-01T12:30:15.5+01:00",
      "d,2025-12-31T23:30-01:00",
      "e,1970-01-01T00:00:00.000000001",
      "f,2025-01-01T24:00",
      "g,2025-02-30T00:00",
      "h,2025-02-30Tjunk",
      "i,2025-01-01T12:60",
      "j,2025-01-01T12:00+24:00",
      "k,2025-01-01T12:00+0530",
      "l,2025-01-01T12:00:00.1234567890",
      "m,2025-01-01T12",
      "n,0001-01-01T00:00+00:01",
      "o,2025-1-01",
      "p,20250101",
      "",
    ].join("\n"),
    shows: "bad rows",
  },
  {
    name: "date formats: one-digit fields, fractions, year-month only",
    def: definition({
      columns: `\n    - { name: id, type: string }\n    - { name: d, type: date, format: "D.M.YYYY" }\n    - { name: m, type: date, format: "YYYY/MM" }\n    - { name: t, type: timestamp, format: "DD/MM/YYYY H:mm:ss.S" }`,
      extra: "on_bad_rows: quarantine\n",
    }),
    bytes: "id,d,m,t\na,1.2.2025,2025/02,01/02/2025 7:05:09.5\nb,31.12.1999,1999/12,31/12/1999 23:59:59.9\nc,31.2.2025,2025/13,01/02/2025 24:00:00.0\nd,123.1.2025,2025/1,1/02/2025 7:05:09.55\n",
    shows: "bad rows",
  },
  { name: "trim: false keeps blanks and then fails numbers", def: definition({ columns: `\n    - { name: id, type: string, trim: false }\n    - { name: d, type: date }\n    - { name: v, type: double, trim: false }`, extra: "on_bad_rows: quarantine\n" }), bytes: "id,d,v\n a ,2025-01-01,1\nb,2025-01-01, 2\n", shows: "bad rows" },
];

/** Partition values at and beyond the years 1000–9999 (UTC dates for timestamps), by each granularity. */
const PARTITION_RANGE: Case[] = (["year", "month", "day"] as const).flatMap((granularity) => {
  const partition = `{ column: d, granularity: ${granularity} }`;
  const stamps = `\n    - { name: id, type: string }\n    - { name: d, type: timestamp }`;
  return [
    {
      name: `partition dates outside the years 1000–9999 by ${granularity}`,
      def: definition({ columns: BASE, partition, extra: "on_bad_rows: quarantine\n" }),
      bytes: "id,d,v\nA,0050-03-01,1\nB,0999-12-31,2\nC,1000-01-01,3\nD,9999-12-31,4\nE,0001-01-01,5\nF,0000-01-01,6\n",
      shows: "bad rows",
    },
    {
      name: `partition timestamps whose UTC date is outside the years 1000–9999 by ${granularity}`,
      def: definition({ columns: stamps, partition, extra: "on_bad_rows: quarantine\n" }),
      bytes: [
        "id,d",
        "A,0999-12-31T23:59:59.999999Z",
        "B,1000-01-01T00:00Z",
        "C,1000-01-01T00:30+01:00",
        "D,0999-12-31T23:30-01:00",
        "E,9999-12-31T23:59:59.999999Z",
        "F,9999-12-31T23:00-01:00",
        "G,9999-12-31T23:30+01:00",
        "H,0050-03-01",
        "",
      ].join("\n"),
      shows: "bad rows",
    },
    {
      name: `a partition date read with a format outside the years 1000–9999 by ${granularity}`,
      def: definition({ columns: `\n    - { name: id, type: string }\n    - { name: d, type: date, format: "DD/MM/YYYY" }`, partition, extra: "on_bad_rows: quarantine\n" }),
      bytes: "id,d\nA,01/03/0050\nB,31/12/9999\nC,01/01/1000\nD,31/12/0999\n",
      shows: "bad rows",
    },
    { name: `a partition date before 1000 under on_bad_rows: fail by ${granularity}`, def: definition({ columns: BASE, partition }), bytes: "id,d,v\nA,2025-01-01,1\nB,0050-03-01,2\nC,9999-12-31T00:00,3\n", shows: "error" },
    { name: `a partition timestamp after 9999 under on_bad_rows: fail by ${granularity}`, def: definition({ columns: stamps, partition }), bytes: "id,d\nA,9999-12-31T23:59Z\nB,9999-12-31T23:59-00:01\n", shows: "error" },
  ];
});

/** Cases the engine must decline, by reason; the caller then runs the JS path. */
const FALLBACK: (Case & { reason: RegExp })[] = [
  { name: "windows-1252", def: base("", "{ encoding: latin1 }"), bytes: Buffer.from("id,d,v\nr\xe9,2025-01-01,1\n", "latin1"), shows: "rows", reason: /encoding windows-1252/ },
  { name: "an escape character", def: base("", '{ escape: "\\\\" }'), bytes: 'id,d,v\n"a\\"b",2025-01-01,1\n', shows: "rows", reason: /escape character/ },
  { name: "comment lines", def: base("", '{ comment: "#" }'), bytes: "# note\nid,d,v\nA,2025-01-01,1\n", shows: "rows", reason: /comment/ },
  { name: "non-ASCII true/false values", def: definition({ columns: `${BASE}\n    - { name: b, type: bool, true_values: ["sí"] }` }), bytes: "id,d,v,b\nA,2025-01-01,1,SÍ\n", shows: "rows", reason: /non-ASCII true\/false/ },
  { name: "a variable-width field next to another field", def: definition({ columns: `\n    - { name: id, type: string }\n    - { name: d, type: date, format: "YYYYMD" }` }), bytes: "id,d\nA,2025111\n", shows: "rows", reason: /variable-width/ },
  { name: "unpivot", def: definition({ columns: `\n    - { name: id, type: string }\n    - { name: d, type: date }\n    - { name: v, type: double }`, extra: "unpivot: { id_columns: [id], value_columns: [2025-01-01], name_to: d, value_to: v }\n" }), bytes: "id,2025-01-01\nA,1\n", shows: "rows", reason: /unpivot/ },
  { name: "NDJSON", def: definition({ columns: BASE, uri: "file:///data/s.ndjson" }), bytes: '{"id":"A","d":"2025-01-01","v":1}\n', shows: "rows", reason: /format ndjson/ },
  { name: "a wrong field count", def: quarantine(), bytes: "id,d,v\nA,2025-01-01,1\nB,2025-01-02\n", shows: "bad rows", reason: /wrong field count/ },
  { name: "a wrong field count after the first batch", def: quarantine(), bytes: `id,d,v\n${"A,2025-01-01,1\n".repeat(70_000)}B,2025-01-02\n`, shows: "bad rows", reason: /DuckDB rejected/ },
  { name: "a lone CR line break", def: base(), bytes: "id,d,v\rA,2025-01-01,1\rB,2025-01-02,2\r", shows: "rows", reason: /CR line break without LF/ },
  { name: "CRLF mixed with LF", def: base(), bytes: "id,d,v\r\nA,2025-01-01,1\nB,2025-01-02,2\r\n", shows: "rows", reason: /mixed/ },
  { name: "a blank before an opening quote", def: base(), bytes: 'id,d,v\nA, "x",1\n', shows: "error", reason: /space or tab next to a quote/ },
  { name: "a blank after a quote inside an unquoted field", def: base(), bytes: 'id,d,v\nx" y,2025-01-01,1\n', shows: "rows", reason: /space or tab next to a quote/ },
  { name: "a blank line before the header", def: base(), bytes: "\nid,d,v\nA,2025-01-01,1\n", shows: "rows", reason: /blank or multi-line record/ },
  { name: "bad rows past the first batch when a blank line shifts line numbers", def: quarantine(), bytes: `id,d,v\nA,2025-01-01,1\n\n${"A,2025-01-01,1\n".repeat(70_000)}B,2025-01-02,x\n`, shows: "bad rows", reason: /one-to-one/ },
  { name: "invalid UTF-8 after the first batch", def: base(), bytes: Buffer.concat([Buffer.from(`id,d,v\n${"A,2025-01-01,1\n".repeat(400_000)}`), Buffer.from([0x42, 0xff, 0x2c]), Buffer.from("2025-01-02,2\n")]), shows: "error", reason: /DuckDB rejected/ },
  { name: "an unterminated quote after the first batch", def: base(), bytes: `id,d,v\n${"A,2025-01-01,1\n".repeat(400_000)}"B,2025-01-02,2\n`, shows: "error", reason: /never closed/ },
];

function shown(c: Case, js: { error?: unknown; badRowCount?: number; rowsRead?: number }): void {
  if (c.shows === "error") expect(js.error, "the JS path fails").toBeDefined();
  else expect(js.error, "the JS path succeeds").toBeUndefined();
  if (c.shows === "bad rows") expect(js.badRowCount, "the JS path found bad rows").toBeGreaterThan(0);
}

describe("normalizeWithEngine against normalizeSource", () => {
  for (const c of SAME) {
    it(`matches on ${c.name}`, async () => {
      const r = await differential(engine, c.def, c.bytes, { limits: c.limits });
      shown(c, r.js);
      expect(r.reason).toBeNull();
      expect(r.engine).toEqual(r.js);
    });
  }

  for (const c of PARTITION_RANGE) {
    it(`matches on ${c.name}`, async () => {
      const r = await differential(engine, c.def, c.bytes);
      shown(c, r.js);
      const bad = r.js.badRows ?? r.js.error?.rows ?? [];
      expect(bad.filter((b) => /outside the partition years 1000–9999/.test(b.reason)).length, "the JS path refused out-of-range partition values").toBeGreaterThan(0);
      expect(r.reason).toBeNull();
      expect(r.engine).toEqual(r.js);
    });
  }

  for (const c of FALLBACK) {
    it(`declines ${c.name}`, async () => {
      const r = await differential(engine, c.def, c.bytes, { limits: c.limits });
      shown(c, r.js);
      expect(r.engine).toBeNull();
      expect(r.reason).toMatch(c.reason);
    });
  }
});

describe("normalizeWithEngine output", () => {
  it("leaves nothing behind when it throws, and hides DuckDB's message when writing fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-norm-out-"));
    const source = join(dir, "s.csv");
    writeFileSync(source, "id,d,v\nA,2025-01-01,1\nB,2025-01-02,secret-value\n");
    const run = (outPath: string) => engine.with((c) => normalizeWithEngine(c, { definition: base(), sourcePath: source, outPath, fileLabel: "s.csv" }));
    await expect(run(join(dir, "out.parquet"))).rejects.toThrow(BadRowsError);
    expect(readdirSync(dir)).toEqual(["s.csv"]);

    writeFileSync(source, "id,d,v\nA,2025-01-01,1\n");
    const err = await run(join(dir, "missing-dir", "out.parquet")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineNormalizeError);
    expect((err as EngineNormalizeError).retryable).toBe(true);
    expect((err as Error).message).toBe("Normalizing s.csv on the DuckDB engine failed with IO Error; retry, or report it with the source and definition.");
    expect(readdirSync(dir)).toEqual(["s.csv"]);
  });

  it("writes a source of several row groups in source order without sorting it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-norm-order-"));
    const source = join(dir, "s.csv");
    const rows = 400_000;
    const lines = ["id,d,v"];
    for (let i = 0; i < rows; i++) lines.push(`r${String(i).padStart(7, "0")},20${10 + (i % 15)}-0${1 + (i % 9)}-01,${(i * 7919) % 1000}`);
    writeFileSync(source, `${lines.join("\n")}\n`);
    const outPath = join(dir, "out.parquet");
    const done = await engine.with((c) => normalizeWithEngine(c, { definition: base(), sourcePath: source, outPath, fileLabel: "s.csv" }));
    expect(done?.rows).toBe(rows);
    const [check] = await engine.rows<{ n: bigint; groups: bigint; misplaced: bigint }>(
      `SELECT count(*) AS n, (SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${outPath}')) AS groups,
         count(*) FILTER (WHERE id <> 'r' || lpad(file_row_number::VARCHAR, 7, '0')) AS misplaced FROM read_parquet('${outPath}', file_row_number = true)`,
    );
    expect(Number(check.n)).toBe(rows);
    expect(Number(check.groups)).toBeGreaterThan(1);
    expect(Number(check.misplaced)).toBe(0);
  });
});
