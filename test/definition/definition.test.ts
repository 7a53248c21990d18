import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DefinitionError,
  DefinitionNotFoundError,
  InvalidDatasetIdError,
  findDefinition,
  loadDefinitionFile,
  loadDefinitionsDir,
  parseDefinition,
  validateDatasetId,
  validateDefinitionObject,
} from "../../src/definition";

const MINIMAL = `id: cb_series
source: { uri: "file:///data/series.csv", format: csv }
schema:
  columns:
    - { name: series_id, type: string }
    - { name: obs_date, type: date }      # ISO YYYY-MM-DD unless a format is given
    - { name: value, type: double }
  key: [series_id, obs_date]
  partition_by: obs_date
`;

const FILE = "datasets/cb.yaml";

function problem(text: string): string {
  try {
    parseDefinition(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("parseDefinition", () => {
  it("accepts the minimal SPEC §6 file as is and applies every default", () => {
    const def = parseDefinition(MINIMAL, FILE);
    expect(def).toEqual({
      id: "cb_series",
      source: {
        uri: "file:///data/series.csv",
        format: "csv",
        options: { delimiter: ",", quote: '"', header: true, encoding: "utf-8", skip_rows: 0, null_values: [""], header_row: 1, decimal_separator: ".", max_row_bytes: 64 * 1024 * 1024 },
      },
      schema: {
        columns: [
          { name: "series_id", type: "string", from: "series_id", trim: true, nullable: false },
          { name: "obs_date", type: "date", from: "obs_date", trim: true, nullable: false },
          { name: "value", type: "double", from: "value", trim: true, nullable: true },
        ],
        key: ["series_id", "obs_date"],
        partition_by: "obs_date",
      },
      mode: "upsert",
      allow_empty_snapshot: false,
      duplicates: "error",
      on_bad_rows: "fail",
      projections: [{ name: "latest" }],
      notify: [],
    });
  });

  it("infers the format from the URI extension and accepts JSON text", () => {
    const json = JSON.stringify({
      id: "x.y-z_1",
      source: { uri: "s3://bucket/path/data.ndjson?versionId=3" },
      schema: { columns: [{ name: "d", type: "timestamp" }], key: ["d"], partition_by: "d" },
    });
    const def = parseDefinition(json, "x.json");
    expect(def.source.format).toBe("ndjson");
    expect(parseDefinition(MINIMAL.replace(", format: csv", "").replace("series.csv", "book.XLSX"), FILE).source.format).toBe("xlsx");
  });

  it("is idempotent on its own output (validateDefinitionObject)", () => {
    const def = parseDefinition(MINIMAL.replace("type: double }", "type: decimal }"), FILE);
    expect(def.schema.columns[2].decimal).toBe("string");
    expect(validateDefinitionObject(JSON.parse(JSON.stringify(def)), "input")).toEqual(def);
    expect(() => validateDefinitionObject([], "input")).toThrow("input: the definition must be a mapping with id, source and schema (got a list).");
  });

  it.each([
    ["an unknown type", MINIMAL.replace("type: date }", "type: dat }"), `${FILE}: schema.columns[1].type must be one of string, int, double, decimal, bool, date, timestamp (got "dat").`],
    ["a misspelt field", MINIMAL.replace("format: csv", "fromat: csv"), `${FILE}: source has unknown field "fromat" (allowed: uri, format, options, push).`],
    ["a missing id", MINIMAL.replace("id: cb_series\n", ""), `${FILE}: id is required (a string).`],
    ["an unknown key column", MINIMAL.replace("key: [series_id, obs_date]", "key: [series_id, obs_dte]"), `${FILE}: schema.key[1] names column "obs_dte", which is not in schema.columns (one of series_id, obs_date, value).`],
    ["a non-temporal partition", MINIMAL.replace("partition_by: obs_date", "partition_by: value"), `${FILE}: schema.partition_by must name a date or timestamp column, but "value" is double.`],
    ["a missing partition column", MINIMAL.replace("partition_by: obs_date", "partition_by: month"), `${FILE}: schema.partition_by names column "month", which is not in schema.columns (one of series_id, obs_date, value).`],
    ["a duplicate column", MINIMAL.replace("name: value,", "name: obs_date,"), `${FILE}: schema.columns[2].name repeats schema.columns[1].name "obs_date"; column names must be unique.`],
    ["an engine-reserved column name", MINIMAL.replace("name: value,", "name: _month,"), `${FILE}: schema.columns[2].name "_month" is a name Tidemark's engine uses for its own columns; rename the column and keep reading the source field with from: "_month".`],
    ["two columns that differ only in letter case", MINIMAL.replace("name: value,", "name: Obs_Date,"), `${FILE}: schema.columns[2].name "Obs_Date" differs from schema.columns[1].name "obs_date" only in letter case, which the engine (DuckDB) does not tell apart; rename one of them.`],
    ["DuckDB's row number column name", MINIMAL.replace("name: value,", "name: file_row_number,"), `${FILE}: schema.columns[2].name "file_row_number" is a name Tidemark's engine uses for its own columns; rename the column and keep reading the source field with from: "file_row_number".`],
    ["an engine-reserved column name in capitals", MINIMAL.replace("name: value,", "name: _MONTH,"), `${FILE}: schema.columns[2].name "_MONTH" is a name Tidemark's engine uses for its own columns; rename the column and keep reading the source field with from: "_MONTH".`],
    ["a bad dataset id", MINIMAL.replace("id: cb_series", 'id: "../x"'), `${FILE}: id must be 1–128 characters of a-z, 0-9, "_", "." or "-", starting with a letter or digit (got "../x").`],
    ["a wrong value type", MINIMAL.replace("type: double }", "type: double, nullable: maybe }"), `${FILE}: schema.columns[2].nullable must be true or false (got "maybe").`],
    ["an empty key", MINIMAL.replace("key: [series_id, obs_date]", "key: []"), `${FILE}: schema.key must have at least 1 item.`],
    ["a bad mode", `${MINIMAL}mode: merge\n`, `${FILE}: mode must be one of upsert, snapshot, append (got "merge").`],
    ["a two-character delimiter", MINIMAL.replace("format: csv }", 'format: csv, options: { delimiter: ";;" } }'), `${FILE}: source.options.delimiter must be a single character (got ";;").`],
    ["an option of another format", MINIMAL.replace("format: csv }", "format: csv, options: { sheet: Data } }"), `${FILE}: source.options.sheet applies only to xlsx sources, not csv.`],
    ["an unusable date format", MINIMAL.replace("type: date }", 'type: date, format: "DD/MM" }'), `${FILE}: schema.columns[1].format must contain YYYY (got "DD/MM"); use tokens YYYY MM DD HH mm ss SSS, e.g. "DD/MM/YYYY".`],
    ["an unknown date token", MINIMAL.replace("type: date }", 'type: date, format: "QQ/YYYY" }'), `${FILE}: schema.columns[1].format uses "Q", which is not a pattern token (got "QQ/YYYY"); use tokens YYYY MM DD HH mm ss SSS, e.g. "DD/MM/YYYY".`],
    ["a format on a number", MINIMAL.replace("type: double }", 'type: double, format: "YYYY" }'), `${FILE}: schema.columns[2].format applies only to date and timestamp columns, not double.`],
    ["a URI without a scheme", MINIMAL.replace("file:///data/series.csv", "series.csv"), `${FILE}: source.uri must be a file://, s3://, https:// or http:// URI (got "series.csv").`],
    ["a format that cannot be inferred", MINIMAL.replace(", format: csv", "").replace("series.csv", "series.dat"), `${FILE}: source.format is required because source.uri "file:///data/series.dat" has no known extension (one of csv, json, ndjson, xlsx, parquet).`],
    ["a literal secret", `${MINIMAL}notify: [{ url: "https://hooks.example/x", headers: { Authorization: "Bearer abc" } }]\n`, `${FILE}: notify[0].headers.Authorization must reference an environment variable such as "Bearer \${WEBHOOK_TOKEN}", never a literal secret.`],
    ["a non-http webhook", `${MINIMAL}notify: [{ url: "ftp://x" }]\n`, `${FILE}: notify[0].url must be an http:// or https:// URL (got "ftp://x").`],
    ["two schedules", `${MINIMAL}schedule: { every: 1h, cron: "0 * * * *" }\n`, `${FILE}: schedule must have exactly one of every or cron.`],
    ["a bad interval", `${MINIMAL}schedule: { every: hourly }\n`, `${FILE}: schedule.every must be a duration like "30m", "1h" or "1d" (got "hourly").`],
    ["an empty projection list", `${MINIMAL}projections: []\n`, `${FILE}: projections must have at least 1 item.`],
    [
      "an unpivot whose output lacks a column",
      `${MINIMAL}unpivot: { id_columns: [series_id], name_to: obs_date, value_to: obs_value }\n`,
      `${FILE}: schema.columns[2].name must be one of the unpivoted columns series_id, obs_date, obs_value (got "value").`,
    ],
    [
      "an unpivot with both value selectors",
      `${MINIMAL}unpivot: { id_columns: [series_id], value_columns: [a], value_pattern: "^2", name_to: obs_date, value_to: value }\n`,
      `${FILE}: unpivot must have value_columns or value_pattern, not both.`,
    ],
  ])("rejects %s with a one-sentence message", (_what, text, message) => {
    expect(problem(text)).toBe(message);
  });

  it("reports every problem, one sentence per line", () => {
    const msg = problem(MINIMAL.replace("type: date }", "type: dat }").replace("format: csv", "fromat: csv"));
    expect(msg.split("\n")).toHaveLength(2);
  });

  it("reports invalid YAML with line and column", () => {
    expect(problem("id: x\nschema: [\n  columns:\n    - a\n")).toMatch(/^datasets\/cb\.yaml: invalid YAML at line \d+, column \d+: .+\.$/);
    expect(problem("id: a\nid: b\n")).toMatch(/^datasets\/cb\.yaml: invalid YAML at line 2, column 1: Map keys must be unique\.$/);
  });

  it("rejects empty and non-mapping files", () => {
    expect(problem("")).toBe(`${FILE}: the file is empty; a definition needs at least id, source and schema.`);
    expect(problem("- a\n- b\n")).toBe(`${FILE}: the definition must be a mapping with id, source and schema (got a list).`);
  });

  it("accepts a complete definition with unpivot, notify and schedule", () => {
    const def = parseDefinition(
      `id: wide
description: A wide table
source:
  uri: https://example.org/wide.csv
  options: { delimiter: ";", decimal_separator: ",", encoding: latin1, null_values: ["", "NA"] }
schema:
  columns:
    - { name: series_id, type: string, from: code }
    - { name: obs_date, type: date, format: "YYYY-MM" }
    - { name: value, type: decimal }
  key: [series_id, obs_date]
  partition_by: obs_date
unpivot: { id_columns: [code], value_pattern: "^[0-9]{4}-[0-9]{2}$", name_to: obs_date, value_to: value }
mode: snapshot
duplicates: last_wins
on_bad_rows: quarantine
projections: [{ name: latest }, { name: by_series }]
notify: [{ url: "https://hooks.example/t", headers: { Authorization: "Bearer \${HOOK_TOKEN}", X-Source: tidemark }, timeout_ms: 5000 }]
schedule: { cron: "0 6 * * 1-5" }
`,
      "wide.yaml",
    );
    expect(def.source.options.encoding).toBe("windows-1252");
    expect(def.unpivot).toMatchObject({ id_columns: ["code"], skip_empty: true });
    expect(def.schema.columns[0].nullable).toBe(false);
  });
});

describe("validateDatasetId", () => {
  it.each(["cb_series", "a", "0.v-2_x", "a".repeat(128)])("accepts %s", (id) => {
    expect(validateDatasetId(id)).toBe(id);
  });

  it.each(["../x", "", ".hidden", "CB", "a/b", "a b", "a".repeat(129), "_x", "x\n"])("rejects %j before any I/O", (id) => {
    expect(() => validateDatasetId(id)).toThrow(InvalidDatasetIdError);
  });

  it("says what a valid id looks like", () => {
    expect(() => validateDatasetId("../x")).toThrow(
      'Dataset id "../x" is invalid: use 1–128 characters from a-z, 0-9, "_", "." and "-", starting with a letter or digit (e.g. "cb_series").',
    );
  });
});

describe("definition files and directories", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-defs-"));
  writeFileSync(join(dir, "anything.yaml"), MINIMAL);
  writeFileSync(join(dir, "other.yml"), MINIMAL.replace("id: cb_series", "id: other"));
  writeFileSync(join(dir, "third.json"), JSON.stringify({ id: "third", source: { uri: "file:///t.json" }, schema: { columns: [{ name: "d", type: "date" }], key: ["d"], partition_by: "d" } }));
  writeFileSync(join(dir, "notes.txt"), "not a definition");

  it("loads every yaml/yml/json file; file names need not match ids", async () => {
    const defs = await loadDefinitionsDir(dir);
    expect(defs.map((d) => d.id)).toEqual(["cb_series", "other", "third"]);
    expect((await findDefinition(dir, "third")).source.format).toBe("json");
  });

  it("names the file in errors", async () => {
    await expect(loadDefinitionFile(join(dir, "missing.yaml"))).rejects.toThrow(`${join(dir, "missing.yaml")}: the definition file does not exist.`);
  });

  it("rejects duplicate ids across files", async () => {
    const dup = mkdtempSync(join(tmpdir(), "tidemark-defs-"));
    writeFileSync(join(dup, "a.yaml"), MINIMAL);
    writeFileSync(join(dup, "b.yaml"), MINIMAL);
    await expect(loadDefinitionsDir(dup)).rejects.toThrow(`${join(dup, "b.yaml")}: id "cb_series" is already defined in a.yaml; dataset ids must be unique.`);
  });

  it("finds a valid definition despite a broken neighbour, and reports the breakage otherwise", async () => {
    const mixed = mkdtempSync(join(tmpdir(), "tidemark-defs-"));
    writeFileSync(join(mixed, "good.yaml"), MINIMAL);
    writeFileSync(join(mixed, "bad.yaml"), "id: broken\n");
    expect((await findDefinition(mixed, "cb_series")).id).toBe("cb_series");
    await expect(findDefinition(mixed, "broken")).rejects.toThrow(DefinitionError);
    await expect(findDefinition(dir, "nope")).rejects.toThrow(DefinitionNotFoundError);
    await expect(findDefinition(dir, "nope")).rejects.toThrow(/found "cb_series", "other", "third"/);
  });

  it("validates the id before touching the directory", async () => {
    await expect(findDefinition("/definitely/not/here", "../etc")).rejects.toThrow(InvalidDatasetIdError);
    const missing = join(dir, "nested", "none");
    mkdirSync(join(dir, "nested"));
    await expect(loadDefinitionsDir(missing)).rejects.toThrow(/the definitions directory does not exist/);
  });
});
