import { describe, expect, it } from "vitest";
import { DefinitionError, parseDefinition, validateDefinitionObject } from "../../src/definition";
import { canonicalPartition, partitionColumn, partitionGranularity } from "../../src/definition/partition";
import { parseVersionManifest } from "../../src/manifest/schema";

const FILE = "datasets/ticks.yaml";

const definition = (partitionBy: string) => `id: ticks
source: { uri: "file:///data/ticks.csv", format: csv }
schema:
  columns:
    - { name: sensor, type: string }
    - { name: at, type: timestamp }
    - { name: reading, type: double }
  key: [sensor, at]
  partition_by: ${partitionBy}
`;

function problem(text: string): string {
  try {
    parseDefinition(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("partition_by in a definition (SPEC §2, §6)", () => {
  it.each([
    { given: "at", parsed: "at" },
    { given: "{ column: at }", parsed: "at" },
    { given: "{ column: at, granularity: month }", parsed: "at" },
    { given: "{ column: at, granularity: year }", parsed: { column: "at", granularity: "year" } },
    { given: "{ column: at, granularity: day }", parsed: { column: "at", granularity: "day" } },
  ])("accepts $given, month as the column name alone", ({ given, parsed }) => {
    const def = parseDefinition(definition(given), FILE);
    expect(def.schema.partition_by).toEqual(parsed);
    expect(validateDefinitionObject(JSON.parse(JSON.stringify(def)), "workflow input")).toEqual(def);
  });

  it.each([
    { given: "{ column: at, granularity: week }", says: `${FILE}: schema.partition_by.granularity must be one of year, month, day (got "week").` },
    { given: "{ granularity: day }", says: `${FILE}: schema.partition_by.column is required (a string).` },
    { given: "{ column: at, by: day }", says: `${FILE}: schema.partition_by has unknown field "by" (allowed: column, granularity).` },
    { given: "[at]", says: `${FILE}: schema.partition_by must be a column name, or a mapping with column and granularity (year, month or day) (got a list).` },
    { given: "{ column: reading, granularity: day }", says: `${FILE}: schema.partition_by.column must name a date or timestamp column, but "reading" is double.` },
    { given: "{ column: when, granularity: year }", says: `${FILE}: schema.partition_by.column names column "when", which is not in schema.columns (one of sensor, at, reading).` },
  ])("refuses $given with one sentence", ({ given, says }) => {
    expect(problem(definition(given))).toContain(says);
  });
});

describe("partition helpers", () => {
  it("read the column and granularity of both forms", () => {
    expect(partitionColumn("d")).toBe("d");
    expect(partitionGranularity("d")).toBe("month");
    expect(partitionColumn({ column: "t", granularity: "day" })).toBe("t");
    expect(partitionGranularity({ column: "t", granularity: "year" })).toBe("year");
    expect(canonicalPartition("d", "month")).toBe("d");
    expect(canonicalPartition("d")).toBe("d");
    expect(canonicalPartition("t", "day")).toEqual({ column: "t", granularity: "day" });
  });
});

describe("schema.partition_by in a version manifest", () => {
  const manifest = (partitionBy: unknown) =>
    JSON.stringify({
      format: "tidemark.version/1", dataset_id: "ticks", version: "v1", parent_version: null, created_at: "2025-01-01T00:00:00Z",
      run: { workflow_id: "w", run_id: "r" }, source: { uri: "file:///x", bytes: 0, sha256: "0", etag: null },
      schema: { columns: [{ name: "at", type: "timestamp" }], key: ["at"], partition_by: partitionBy },
      events: [{ path: "events/v1/data/year=2025/month=01/day=15/part-00000.parquet", month: "2025-01-15", rows: 1, bytes: 1, inserted: 1, updated: 0, deleted: 0 }],
      index: [], projections: {}, totals: { rows_total: 1, inserted: 1, updated: 0, deleted: 0 },
    });

  it("is the column name (month) or { column, granularity }", () => {
    expect(parseVersionManifest(manifest("at")).schema.partition_by).toBe("at");
    expect(parseVersionManifest(manifest({ column: "at", granularity: "day" })).schema.partition_by).toEqual({ column: "at", granularity: "day" });
  });

  it("refuses an unknown granularity", () => {
    expect(() => parseVersionManifest(manifest({ column: "at", granularity: "week" }))).toThrow(/malformed at schema\.partition_by/);
  });
});
