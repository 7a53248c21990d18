import { describe, expect, it } from "vitest";
import { inPublishedOrder, projectionsDiffer, schemaChanges, schemaConflictMessage } from "../../src/definition/compat";

const published = {
  columns: [{ name: "series_id", type: "string" }, { name: "obs_date", type: "date" }, { name: "value", type: "double" }],
  key: ["series_id", "obs_date"],
  partition_by: "obs_date",
};

describe("schemaChanges", () => {
  it("accepts the same schema, columns in any order", () => {
    expect(schemaChanges({ ...published, columns: [...published.columns].reverse() }, published)).toEqual([]);
  });

  it("names every change: key, partition, types, added and removed columns", () => {
    const defined = {
      columns: [{ name: "series_id", type: "string" }, { name: "obs_date", type: "timestamp" }, { name: "count", type: "int" }],
      key: ["series_id"],
      partition_by: "obs_date",
    };
    expect(schemaChanges(defined, published)).toEqual([
      'changes the key from ["series_id", "obs_date"] to ["series_id"]',
      "changes the type of \"obs_date\" from date to timestamp",
      'adds column "count"',
      'removes column "value"',
    ]);
    expect(schemaChanges({ ...published, partition_by: "other" }, published)).toEqual(['changes partition_by from "obs_date" to "other"']);
  });

  it("names a change of how a decimal column is kept, when the published version records it", () => {
    const withDecimal = (decimal?: string) => ({ ...published, columns: [...published.columns, { name: "price", type: "decimal", ...(decimal ? { decimal } : {}) }] });
    expect(schemaChanges(withDecimal("double"), withDecimal("string"))).toEqual(['changes how decimal "price" is kept from string to double']);
    expect(schemaChanges(withDecimal("string"), withDecimal("string"))).toEqual([]);
    expect(schemaChanges(withDecimal("double"), withDecimal())).toEqual([]);
  });

  it("names a change of the partition granularity, the column name alone being month", () => {
    expect(schemaChanges({ ...published, partition_by: { column: "obs_date", granularity: "month" } }, published)).toEqual([]);
    expect(schemaChanges({ ...published, partition_by: { column: "obs_date", granularity: "day" } }, published)).toEqual(["changes the partition granularity from month to day"]);
    const byYear = { ...published, partition_by: { column: "obs_date", granularity: "year" as const } };
    expect(schemaChanges(published, byYear)).toEqual(["changes the partition granularity from year to month"]);
    expect(schemaChanges({ ...published, partition_by: { column: "other", granularity: "day" } }, byYear)).toEqual([
      'changes partition_by from "obs_date" to "other"',
      "changes the partition granularity from year to day",
    ]);
  });

  it("says what to do", () => {
    expect(schemaConflictMessage("cb", "v1", ['adds column "x"'])).toBe(
      'The definition of cb adds column "x" compared with the published version v1, and published files cannot change their schema in place; restore the definition, or publish the new schema under a new dataset id.',
    );
  });
});

describe("projectionsDiffer", () => {
  it("compares names as sets", () => {
    expect(projectionsDiffer([{ name: "b" }, { name: "a" }], ["a", "b"])).toBe(false);
    expect(projectionsDiffer([{ name: "a" }], ["a", "b"])).toBe(true);
    expect(projectionsDiffer([{ name: "c" }], ["a"])).toBe(true);
  });
});

describe("inPublishedOrder", () => {
  const definition = (names: string[]) => ({ id: "d", schema: { columns: names.map((name) => ({ name, type: "string", from: name })), key: ["a"] } });

  it("puts the same columns in the published order, keeping each column's options", () => {
    const out = inPublishedOrder(definition(["c", "a", "b"]), { columns: [{ name: "a" }, { name: "b" }, { name: "c" }] });
    expect(out.schema.columns.map((c) => c.name)).toEqual(["a", "b", "c"]);
    expect(out.schema.columns[2]).toEqual({ name: "c", type: "string", from: "c" });
    expect(out.schema.key).toEqual(["a"]);
  });

  it("returns the definition itself when the order already matches, nothing is published, or the column names differ", () => {
    const same = definition(["a", "b"]);
    expect(inPublishedOrder(same, { columns: [{ name: "a" }, { name: "b" }] })).toBe(same);
    expect(inPublishedOrder(same, undefined)).toBe(same);
    expect(inPublishedOrder(same, { columns: [{ name: "b" }, { name: "c" }] })).toBe(same);
    expect(inPublishedOrder(same, { columns: [{ name: "b" }] })).toBe(same);
  });
});
