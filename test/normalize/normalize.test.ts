import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type Table, Type } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { SourceFormatError } from "../../src/formats";
import { AmbiguousColumnError, BadRowsError, MissingColumnError, normalizeSource } from "../../src/normalize";
import { chunked } from "../formats/helpers";

const BASE_COLUMNS = `
    - { name: series_id, type: string }
    - { name: obs_date, type: date }
    - { name: value, type: double }`;

function definition(opts: { source?: string; columns?: string; extra?: string; key?: string; partition?: string } = {}) {
  return parseDefinition(
    `id: t
source: { uri: "file:///data/series.csv"${opts.source ?? ""} }
schema:
  columns:${opts.columns ?? BASE_COLUMNS}
  key: ${opts.key ?? "[series_id, obs_date]"}
  partition_by: ${opts.partition ?? "obs_date"}
${opts.extra ?? ""}`,
    "t.yaml",
  );
}

const run = (def: ReturnType<typeof definition>, text: string | Uint8Array, fileLabel = "series.csv") => normalizeSource({ definition: def, input: chunked(text, 5), fileLabel });

function rows(table: Table): Record<string, unknown>[] {
  return table.toArray().map((r) => {
    const o = r.toJSON() as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) if (typeof v === "bigint") o[k] = String(v);
    return o;
  });
}

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

describe("normalizeSource", () => {
  it("casts the SPEC example into typed Arrow columns and partition months", async () => {
    const r = await run(definition(), "series_id,obs_date,value,ignored\r\n A ,2025-01-31, 1.5 ,x\r\nB,2024-12-01,,y\r\n");
    expect(r.table.schema.fields.map((f) => [f.name, Type[f.typeId]])).toEqual([
      ["series_id", "Utf8"],
      ["obs_date", "Date"],
      ["value", "Float"],
    ]);
    expect(r.table.batches).toHaveLength(1);
    expect(rows(r.table)).toEqual([
      { series_id: "A", obs_date: day("2025-01-31"), value: 1.5 },
      { series_id: "B", obs_date: day("2024-12-01"), value: null },
    ]);
    expect([...r.months]).toEqual([202501, 202412]);
    expect(r.rowsRead).toBe(2);
  });

  it("casts every type, with renames, formats, null tokens and trimming options", async () => {
    const def = definition({
      source: `, options: { delimiter: ";", decimal_separator: ",", null_values: ["", "NA", "-"] }`,
      columns: `
    - { name: series_id, type: string, from: code, trim: false }
    - { name: obs_date, type: date, from: period, format: "DD/MM/YYYY" }
    - { name: value, type: double }
    - { name: exact, type: decimal }
    - { name: approx, type: decimal, decimal: double }
    - { name: n, type: int }
    - { name: ok, type: bool, true_values: ["sí"], false_values: ["no"] }
    - { name: at, type: timestamp, format: "YYYY-MM-DD HH:mm:ss" }`,
    });
    const text = "code;period;value;exact;approx;n;ok;at\n x ;31/01/2025;1.234,5;0001,50;2,5;-9.223.372.036.854.775.808;SÍ;2025-01-31 23:59:59\nB;01/02/2025;NA;-;-;-;no;-\n";
    const r = await run(def, text);
    expect(r.table.schema.fields.map((f) => Type[f.typeId])).toEqual(["Utf8", "Date", "Float", "Utf8", "Float", "Int", "Bool", "Timestamp"]);
    expect(String(r.table.schema.fields[7].type)).toBe("Timestamp<MICROSECOND, UTC>");
    expect(rows(r.table)).toEqual([
      { series_id: " x ", obs_date: day("2025-01-31"), value: 1234.5, exact: "1.5", approx: 2.5, n: "-9223372036854775808", ok: true, at: day("2025-01-31") + 86_399_000 },
      { series_id: "B", obs_date: day("2025-02-01"), value: null, exact: null, approx: null, n: null, ok: false, at: null },
    ]);
    const micros = r.table.getChild("at")!.data[0].values as BigInt64Array;
    expect(micros[0]).toBe(BigInt(day("2025-01-31") + 86_399_000) * 1000n);
  });

  it("fails on bad rows with one sentence naming the first bad row, then the count", async () => {
    const text = "series_id,obs_date,value\nA,2025-01-01,1\nB,2025-01-02,\"12,5x\"\nC,2025-02-30,3\n,2025-01-03,4\nD,2025-01-04,x\n";
    const err = await run(definition(), text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRowsError);
    const bad = err as BadRowsError;
    expect(bad.message).toBe('series.csv row 3: column "value" is "12,5x", which is not a number (source.options.decimal_separator is "."); 3 more bad rows — fix the source or set on_bad_rows: quarantine.');
    expect(bad.retryable).toBe(false);
    expect(bad.count).toBe(4);
    expect(bad.rows.map((b) => [b.row, b.column, b.value, b.reason])).toEqual([
      [3, "value", "12,5x", 'not a number (source.options.decimal_separator is ".")'],
      [4, "obs_date", "2025-02-30", "not a real calendar date"],
      [5, "series_id", null, "not allowed in a key column"],
      [6, "value", "x", "not a number"],
    ]);
  });

  it("refuses a null in the partition column of a { column, granularity } partition that is not a key", async () => {
    const def = definition({ key: "[series_id]", partition: "{ column: obs_date, granularity: day }", extra: "on_bad_rows: quarantine\n" });
    const r = await run(def, "series_id,obs_date,value\nA,2025-01-01,1\nB,,2\n");
    expect(rows(r.table).map((x) => x.series_id)).toEqual(["A"]);
    expect(r.badRows).toEqual([{ row: 3, column: "obs_date", value: null, reason: "not allowed in the partition column" }]);
  });

  it("fails on a partition date before year 1000, naming its row and column", async () => {
    const err = await run(definition(), "series_id,obs_date,value\nA,2025-01-01,1\nB,0050-03-01,2\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRowsError);
    expect((err as Error).message).toBe('series.csv row 3: column "obs_date" is "0050-03-01", which is a date outside the partition years 1000–9999 — fix the source or set on_bad_rows: quarantine.');
  });

  it.each(["year", "month", "day"])("quarantines partition dates and timestamps outside the years 1000–9999 by %s", async (granularity) => {
    const quarantine = "on_bad_rows: quarantine\n";
    const dates = await run(
      definition({ partition: `{ column: obs_date, granularity: ${granularity} }`, extra: quarantine }),
      "series_id,obs_date,value\nA,0050-03-01,1\nB,0999-12-31,2\nC,1000-01-01,3\nD,9999-12-31,4\nE,0001-01-01,5\n",
    );
    expect(rows(dates.table).map((x) => x.series_id)).toEqual(["C", "D"]);
    const dateReason = "a date outside the partition years 1000–9999";
    expect(dates.badRows).toEqual([
      { row: 2, column: "obs_date", value: "0050-03-01", reason: dateReason },
      { row: 3, column: "obs_date", value: "0999-12-31", reason: dateReason },
      { row: 6, column: "obs_date", value: "0001-01-01", reason: dateReason },
    ]);
    const stamps = await run(
      definition({ columns: "\n    - { name: series_id, type: string }\n    - { name: obs_date, type: timestamp }", partition: `{ column: obs_date, granularity: ${granularity} }`, extra: quarantine }),
      [
        "series_id,obs_date",
        "A,0999-12-31T23:59:59.999999Z",
        "B,1000-01-01T00:00Z",
        "C,1000-01-01T00:30+01:00",
        "D,0999-12-31T23:30-01:00",
        "E,9999-12-31T23:59:59.999999Z",
        "F,9999-12-31T23:00-01:00",
        "G,9999-12-31T23:30+01:00",
        "",
      ].join("\n"),
    );
    expect(rows(stamps.table).map((x) => x.series_id)).toEqual(["B", "D", "E", "G"]);
    const stampReason = "a timestamp whose UTC date is outside the partition years 1000–9999";
    expect(stamps.badRows).toEqual([
      { row: 2, column: "obs_date", value: "0999-12-31T23:59:59.999999Z", reason: stampReason },
      { row: 4, column: "obs_date", value: "1000-01-01T00:30+01:00", reason: stampReason },
      { row: 7, column: "obs_date", value: "9999-12-31T23:00-01:00", reason: stampReason },
    ]);
  });

  it("refuses out-of-range partition dates read with a format, and keeps such dates in other date columns", async () => {
    const def = definition({
      columns: "\n    - { name: series_id, type: string }\n    - { name: obs_date, type: date, format: \"DD/MM/YYYY\" }\n    - { name: born, type: date }",
      extra: "on_bad_rows: quarantine\n",
    });
    const r = await run(def, "series_id,obs_date,born\nA,01/03/0050,2025-01-01\nB,01/03/2025,0050-03-01\n");
    expect(r.badRows).toEqual([{ row: 2, column: "obs_date", value: "01/03/0050", reason: "a date outside the partition years 1000–9999" }]);
    const born = new Date(Date.UTC(2000, 2, 1));
    born.setUTCFullYear(50);
    expect(rows(r.table)).toEqual([{ series_id: "B", obs_date: day("2025-03-01"), born: born.getTime() }]);
  });

  it("drops bad rows under quarantine and returns them", async () => {
    const text = "series_id,obs_date,value\nA,2025-01-01,1\nB,01/02/2025,2\nC,2025-03-01\nD,2025-04-01,4\n";
    const r = await run(definition({ extra: "on_bad_rows: quarantine\n" }), text);
    expect(rows(r.table).map((x) => x.series_id)).toEqual(["A", "D"]);
    expect([...r.months]).toEqual([202501, 202504]);
    expect(r.badRowCount).toBe(2);
    expect(r.badRows).toEqual([
      { row: 3, column: "obs_date", value: "01/02/2025", reason: "not a date in the format YYYY-MM-DD" },
      { row: 4, column: null, value: null, reason: "has 2 fields but the header has 3" },
    ]);
  });

  it("caps the kept bad rows at 1,000 but counts them all", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `S${i},2025-01-01,bad`).join("\n");
    const r = await run(definition({ extra: "on_bad_rows: quarantine\n" }), `series_id,obs_date,value\n${lines}\nok,2025-01-01,1\n`);
    expect(r.badRows).toHaveLength(1000);
    expect(r.badRowCount).toBe(1500);
    expect(r.table.numRows).toBe(1);
  });

  it("names a missing source column and the columns found; extra columns are ignored", async () => {
    const err = await run(definition(), "series_id,date,value,extra\nA,2025-01-01,1,x\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingColumnError);
    expect((err as Error).message).toBe('series.csv has no column "obs_date" (read by schema.columns[1]); the columns found are "series_id", "date", "value", "extra" — fix the definition or the source.');
    await expect(run(definition(), "series_id,date,value\n")).rejects.toThrow(MissingColumnError);
    await expect(run(definition(), "series_id,obs_date,value,value\nA,2025-01-01,1,2\n")).rejects.toThrow(AmbiguousColumnError);
  });

  it("fails clearly on an empty file, and yields an empty table for a header-only file", async () => {
    await expect(run(definition(), "")).rejects.toThrow(new SourceFormatError("series.csv is empty (0 bytes); check that the export that produces it finished."));
    const r = await run(definition(), "series_id,obs_date,value\n");
    expect(r.table.numRows).toBe(0);
    expect(r.table.schema.fields.map((f) => f.name)).toEqual(["series_id", "obs_date", "value"]);
    expect(r.months).toHaveLength(0);
  });

  it("reads latin1 bytes with a ';' delimiter and decimal comma", async () => {
    const def = definition({ source: `, options: { delimiter: ";", decimal_separator: ",", encoding: latin1 }` });
    const bytes = Buffer.from('series_id;obs_date;value\n"Índice; año";2025-01-31;-1.234,5\n', "latin1");
    const r = await run(def, bytes);
    expect(rows(r.table)).toEqual([{ series_id: "Índice; año", obs_date: day("2025-01-31"), value: -1234.5 }]);
  });

  it("unpivots a wide table, skipping empty cells and casting the headers", async () => {
    const def = definition({
      columns: `
    - { name: series_id, type: string, from: code }
    - { name: obs_date, type: date, format: "YYYY-MM" }
    - { name: value, type: double }`,
      extra: 'unpivot: { id_columns: [code], value_pattern: "^[0-9]{4}-[0-9]{2}$", name_to: obs_date, value_to: value }\n',
    });
    const r = await run(def, 'code,label,2025-01,2025-02,2025-03\nA,"Alpha",1,,3\nB,"Beta",4,5,"6"\n');
    expect(rows(r.table)).toEqual([
      { series_id: "A", obs_date: day("2025-01-01"), value: 1 },
      { series_id: "A", obs_date: day("2025-03-01"), value: 3 },
      { series_id: "B", obs_date: day("2025-01-01"), value: 4 },
      { series_id: "B", obs_date: day("2025-02-01"), value: 5 },
      { series_id: "B", obs_date: day("2025-03-01"), value: 6 },
    ]);
    expect([...r.months]).toEqual([202501, 202503, 202501, 202502, 202503]);
    expect(r.rowsRead).toBe(2);
  });

  it("reports unpivoted bad cells with their source row", async () => {
    const def = definition({
      columns: `
    - { name: series_id, type: string }
    - { name: obs_date, type: date }
    - { name: value, type: double }`,
      extra: "unpivot: { id_columns: [series_id], value_columns: [2025-01-01, 2025-02-01], name_to: obs_date, value_to: value }\n",
    });
    const err = await run(def, "series_id,2025-01-01,2025-02-01\nA,1,2\nB,3,oops\n").catch((e: unknown) => e);
    expect((err as Error).message).toBe('series.csv row 3: column "value" is "oops", which is not a number — fix the source or set on_bad_rows: quarantine.');
  });

  it("normalizes NDJSON and JSON with native values and string numbers", async () => {
    const base = { columns: `${BASE_COLUMNS}\n    - { name: n, type: int }\n    - { name: flag, type: bool }` };
    const nd = definition({ ...base, source: ", format: ndjson" });
    const r = await run(nd, '{"series_id": "A", "obs_date": "2025-01-31", "value": 1.5, "n": 42, "flag": true}\n{"series_id": 7, "obs_date": "2025-02-01", "value": "2.5", "n": "12", "flag": "no"}\n');
    expect(rows(r.table)).toEqual([
      { series_id: "A", obs_date: day("2025-01-31"), value: 1.5, n: "42", flag: true },
      { series_id: "7", obs_date: day("2025-02-01"), value: 2.5, n: "12", flag: false },
    ]);
    const js = definition({ source: ", format: json, options: { records_path: data } " });
    const j = await run(js, '{"data": [{"series_id": "A", "obs_date": "2025-01-31", "value": true}]}', "s.json").catch((e: unknown) => e);
    expect((j as Error).message).toBe('s.json row 1: column "value" is "true", which is a boolean, not a number — fix the source or set on_bad_rows: quarantine.');
    const missing = await run(js, '{"data": [{"series_id": "A", "value": 1}]}', "s.json").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MissingColumnError);
  });

  it("keeps the digits of JSON numbers a double cannot hold in decimal, int and string columns, with a decimal comma too", async () => {
    const columns = `${BASE_COLUMNS}\n    - { name: amount, type: decimal }\n    - { name: n, type: int }\n    - { name: ref, type: string }`;
    const sent = [
      { amount: "0.123456789012345678", n: "9007199254740993", ref: "123456789012345678901234567890", value: "0.30000000000000004" },
      { amount: "-12345678901234567.89", n: "-9223372036854775808", ref: "1.5", value: "12345678901234567" },
    ];
    const record = (x: (typeof sent)[number], i: number) => `{"series_id": "S${i}", "obs_date": "2025-01-31", "value": ${x.value}, "amount": ${x.amount}, "n": ${x.n}, "ref": ${x.ref}}`;
    const want = sent.map((x, i) => ({ series_id: `S${i}`, obs_date: day("2025-01-31"), value: Number(x.value), amount: x.amount, n: x.n, ref: x.ref }));
    const lines = sent.map(record);
    const cases: [string, string][] = [
      [", format: ndjson", lines.join("\n")],
      [", format: json", `[${lines.join(",")}]`],
      [', format: ndjson, options: { decimal_separator: "," }', lines.join("\n")],
    ];
    for (const [source, text] of cases) expect(rows((await run(definition({ columns, source }), text, "s.json")).table), source).toEqual(want);
    const tooBig = await run(definition({ columns, source: ", format: ndjson" }), `{"series_id": "A", "obs_date": "2025-01-31", "value": 1, "amount": 1, "n": 9223372036854775808, "ref": "r"}`).catch((e: unknown) => e);
    expect((tooBig as Error).message).toBe('series.csv row 1: column "n" is "9223372036854775808", which is outside the 64-bit integer range — fix the source or set on_bad_rows: quarantine.');
  });

  it("reads a file path and reports progress", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-norm-"));
    const path = join(dir, "series.csv");
    writeFileSync(path, `series_id,obs_date,value\n${Array.from({ length: 300 }, (_, i) => `S${i % 7},2025-01-${String((i % 28) + 1).padStart(2, "0")},${i}`).join("\n")}\n`);
    const progress: number[] = [];
    const r = await normalizeSource({ definition: definition(), input: path, fileLabel: "series.csv", batchRows: 100, onProgress: (n) => progress.push(n) });
    expect(r.table.numRows).toBe(300);
    expect(progress.at(-1)).toBe(300);
    const fromStream = await normalizeSource({ definition: definition(), input: Readable.from([Buffer.from("series_id,obs_date,value\nA,2025-01-01,1\n")]), fileLabel: "s.csv" });
    expect(fromStream.table.numRows).toBe(1);
  });
});
