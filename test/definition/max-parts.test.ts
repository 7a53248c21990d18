import { describe, expect, it } from "vitest";
import { DefinitionError, parseDefinition } from "../../src/definition";

const base = `id: cb_series
source: { uri: "file:///data/series.csv", format: csv }
schema:
  columns:
    - { name: series_id, type: string }
    - { name: obs_date, type: date }
  key: [series_id, obs_date]
  partition_by: obs_date
`;

describe("max_parts", () => {
  it("is optional (optimize then uses 16) and accepts a positive integer", () => {
    expect(parseDefinition(base, "d.yaml").max_parts).toBeUndefined();
    expect(parseDefinition(`${base}max_parts: 4\n`, "d.yaml").max_parts).toBe(4);
  });

  it("rejects zero and non-integers naming the field", () => {
    for (const bad of ["0", "2.5", '"many"']) {
      expect(() => parseDefinition(`${base}max_parts: ${bad}\n`, "d.yaml")).toThrow(DefinitionError);
      expect(() => parseDefinition(`${base}max_parts: ${bad}\n`, "d.yaml")).toThrow(/max_parts/);
    }
  });
});
