import { describe, expect, it } from "vitest";
import { type CsvFacts, type NormalizePlan, planNormalize, unsupportedDefinition } from "../../../src/engine/normalize";
import { AmbiguousColumnError, MissingColumnError } from "../../../src/normalize";
import { definition } from "./helpers";

const COLUMNS = `
    - { name: id, type: string, from: code }
    - { name: d, type: date }
    - { name: v, type: double }`;
const facts: CsvFacts = { names: ["d", "code", "v", "extra"], skip: 1, maxLineSize: 1000 };
const options = { fileLabel: "s.csv" };

function plan(def = definition({ columns: COLUMNS }), f: CsvFacts = facts): NormalizePlan {
  const p = planNormalize(def, "/data/it's.csv", "/out/o.parquet", f, options);
  if ("unsupported" in p) throw new Error(p.unsupported);
  return p;
}

describe("planNormalize", () => {
  it("reads every field as text with the definition's dialect, after the skipped records, in parallel, and writes without sorting", () => {
    const p = plan(definition({ columns: COLUMNS, options: `{ delimiter: ";", quote: "'" }` }));
    expect(p.copy).toContain("read_csv('/data/it''s.csv', header = false, auto_detect = false, columns = {'c0': 'VARCHAR', 'c1': 'VARCHAR', 'c2': 'VARCHAR', 'c3': 'VARCHAR'}");
    expect(p.copy).toContain("delim = ';', quote = '''', escape = ''''");
    expect(p.copy).toContain("skip = 1,");
    expect(p.copy).toContain("strict_mode = true");
    expect(p.copy).toContain("compression = 'none'");
    expect(p.copy).toContain("max_line_size = 1000");
    expect(p.copy).toContain("parallel = true");
    expect(p.copy).toContain("(SELECT 0 AS __ord, ");
    expect(p.copy).toMatch(/ WHERE NOT bad\) TO '\/out\/o.parquet' \(FORMAT parquet, COMPRESSION lz4_raw\)$/);
    expect(p.copy).not.toContain("ORDER BY");
    expect(p.count).toMatch(/^SELECT count\(\*\) FROM read_csv\('\/data\/it''s.csv', .*parallel = true, hive_partitioning = false\)$/);
  });

  it("maps each output column to its source field by header name, renames it and trims blanks", () => {
    const p = plan();
    expect(p.copy).toContain("THEN trim(coalesce(c1, '\u0001'), ' \t') ELSE coalesce(c1, '\u0001') END AS t0");
    expect(p.copy).toContain("THEN trim(coalesce(c0, '\u0001'), ' \t') ELSE coalesce(c0, '\u0001') END AS t1");
    expect(p.copy).toContain("THEN trim(coalesce(c2, '\u0001'), ' \t') ELSE coalesce(c2, '\u0001') END AS t2");
    expect(p.copy).not.toContain("coalesce(c3");
    expect(p.copy).toMatch(/^COPY \(SELECT v0 AS "id", v1 AS "d", v2 AS "v" FROM \(SELECT __ord, v0, v1, v2, \(n0 OR v0 IS NULL\) OR \(n1 OR v1 IS NULL OR NOT \(\(v1 - DATE '1970-01-01'\) BETWEEN -354285 AND 2932896\)\) OR \(NOT n2 AND v2 IS NULL\) AS bad FROM .*\) WHERE NOT bad\) TO/);
  });

  it("casts to the types the JS path writes, with its null tokens and reasons", () => {
    const def = definition({
      columns: `${COLUMNS}\n    - { name: n, type: int, trim: false }\n    - { name: b, type: bool }\n    - { name: t, type: timestamp }\n    - { name: a, type: decimal, decimal: double }`,
      options: '{ null_values: ["", "NA"], decimal_separator: "," }',
      key: "[id]",
    });
    const p = plan(def, { ...facts, names: ["code", "d", "v", "n", "b", "t", "a"] });
    expect(p.copy).toMatch(/\)::VARCHAR AS v0,/);
    expect(p.copy).toMatch(/\)::DATE AS v1,/);
    expect(p.copy).toMatch(/\)::DOUBLE AS v2,/);
    expect(p.copy).toMatch(/\)::BIGINT AS v3,/);
    expect(p.copy).toMatch(/\)::BOOLEAN AS v4,/);
    expect(p.copy).toMatch(/\)::TIMESTAMPTZ AS v5,/);
    expect(p.copy).toMatch(/\)::DOUBLE AS v6 FROM/);
    expect(p.copy).toContain("coalesce(c3, '\u0001') AS t3");
    expect(p.copy).toContain("list_contains(['', 'NA'], t0)");
    expect(p.badRows).toContain("'not allowed in a key column'");
    expect(p.badRows).toContain("'not allowed in the partition column'");
    expect(p.badRows).toContain(`'not a number (source.options.decimal_separator is ",")'`);
    expect(p.badRows).toContain("'not a boolean (expected one of true, t, yes, y, 1, false, f, no, n, 0)'");
    expect(p.badRows).toContain("'not a real calendar date and time'");
  });

  it("refuses nulls in the partition column of a { column, granularity } partition", () => {
    const p = plan(definition({ columns: COLUMNS, key: "[id]", partition: "{ column: d, granularity: year }" }));
    expect(p.badRows).toContain("'not allowed in the partition column'");
  });

  it("summarizes, and lists the first 1,000 bad rows in source order", () => {
    const p = plan();
    expect(p.summary).toMatch(/^SELECT count\(\*\) AS rows_read, count\(\*\) FILTER \(WHERE r0 IS NOT NULL OR r1 IS NOT NULL OR r2 IS NOT NULL\) AS bad_rows FROM \(SELECT __ord, /);
    expect(p.badRows).toMatch(/^SELECT __ord, r0, e0, r1, e1, r2, e2 FROM \(SELECT __ord, .*row_number\(\) OVER \(\).*\) WHERE r0 IS NOT NULL OR r1 IS NOT NULL OR r2 IS NOT NULL ORDER BY __ord LIMIT 1000$/);
  });

  it("throws the JS path's errors for a missing or repeated source column", () => {
    expect(() => plan(definition({ columns: COLUMNS }), { ...facts, names: ["d", "v"] })).toThrow(MissingColumnError);
    expect(() => plan(definition({ columns: COLUMNS }), { ...facts, names: ["d", "code", "v", "code"] })).toThrow(
      new AmbiguousColumnError("s.csv", "code", [2, 4]),
    );
  });
});

describe("unsupportedDefinition", () => {
  const cases: [string, string, RegExp][] = [
    ["JSON", `{ uri: "file:///x.json" }`, /format json is not read by the engine yet/],
    ["XLSX", `{ uri: "file:///x.xlsx" }`, /format xlsx/],
    ["Parquet", `{ uri: "file:///x.parquet" }`, /format parquet/],
    ["windows-1252", `{ uri: "file:///x.csv", options: { encoding: cp1252 } }`, /encoding windows-1252/],
    ["an escape character", `{ uri: "file:///x.csv", options: { escape: "\\\\" } }`, /escape character/],
    ["comments", `{ uri: "file:///x.csv", options: { comment: "#" } }`, /comment lines/],
  ];
  for (const [name, source, reason] of cases) {
    it(`declines ${name}`, () => {
      const def = definition({ columns: COLUMNS });
      const parsed = definition({ columns: COLUMNS, uri: /uri: "([^"]+)"/.exec(source)![1], options: /options: (\{.*\}) \}/.exec(source)?.[1] });
      expect(unsupportedDefinition(def)).toBeNull();
      expect(unsupportedDefinition(parsed)).toMatch(reason);
    });
  }

  it("declines non-ASCII booleans, unpivot and backtracking date formats", () => {
    expect(unsupportedDefinition(definition({ columns: `${COLUMNS}\n    - { name: x, type: decimal }` }))).toBeNull();
    expect(unsupportedDefinition(definition({ columns: `${COLUMNS}\n    - { name: x, type: bool, false_values: ["nö"] }` }))).toMatch(/non-ASCII/);
    expect(unsupportedDefinition(definition({ columns: `${COLUMNS}\n    - { name: x, type: date, format: "YYYYMMD" }` }))).toBeNull();
    expect(unsupportedDefinition(definition({ columns: `${COLUMNS}\n    - { name: x, type: date, format: "YYYYMDD" }` }))).toMatch(/variable-width/);
    expect(unsupportedDefinition(definition({ columns: COLUMNS, extra: "unpivot: { id_columns: [code], value_columns: [a], name_to: d, value_to: v }\n" }))).toMatch(/unpivot/);
  });

  it("returns the plan's reason instead of a plan", () => {
    const p = planNormalize(definition({ columns: COLUMNS, uri: "file:///x.ndjson" }), "/x.ndjson", "/o.parquet", facts, options);
    expect(p).toEqual({ unsupported: "format ndjson is not read by the engine yet" });
  });
});
