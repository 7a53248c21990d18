import { describe, expect, it } from "vitest";
import { validateDefinitionObject } from "../../src/definition";
import { canonicalJson, readFingerprint } from "../../src/definition/read-fingerprint";

const base = {
  id: "fp",
  source: { uri: "file:///data/fp.csv", format: "csv" },
  schema: { columns: [{ name: "id", type: "string" }, { name: "day", type: "date", format: "DD/MM/YYYY" }], key: ["id"], partition_by: "day" },
};
const fingerprint = (patch: (d: typeof base & Record<string, unknown>) => unknown) => {
  const d = structuredClone(base) as typeof base & Record<string, unknown>;
  patch(d);
  return readFingerprint(validateDefinitionObject(d, "fp.yaml"));
};

describe("canonicalJson", () => {
  it("sorts keys at every depth and leaves undefined members out", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":1}]},"b":1}');
  });
});

describe("readFingerprint", () => {
  const plain = fingerprint(() => {});
  it("changes with what turns bytes into rows", () => {
    expect(fingerprint((d) => (d.schema.columns[1].format = "MM/DD/YYYY"))).not.toBe(plain);
    expect(fingerprint((d) => Object.assign(d.source, { options: { delimiter: ";" } }))).not.toBe(plain);
    expect(fingerprint((d) => (d.mode = "snapshot"))).not.toBe(plain);
    expect(fingerprint((d) => (d.on_bad_rows = "quarantine"))).not.toBe(plain);
  });
  it("stays with what does not: description, URI, projections, schedule, defaults spelled out", () => {
    expect(fingerprint((d) => (d.description = "described"))).toBe(plain);
    expect(fingerprint((d) => (d.source.uri = "https://example.org/fp.csv"))).toBe(plain);
    expect(fingerprint((d) => (d.projections = [{ name: "latest" }, { name: "other" }]))).toBe(plain);
    expect(fingerprint((d) => (d.schedule = { every: "1h" }))).toBe(plain);
    expect(fingerprint((d) => Object.assign(d.source, { options: { delimiter: "," } }))).toBe(plain);
  });
  it("carries the reader revision of a format whose reader was fixed, so such datasets are read again once; a CSV's stays as before revisions existed", () => {
    const csv = validateDefinitionObject(structuredClone(base), "fp.yaml");
    expect(readFingerprint(csv)).toBe(readFingerprint(csv, { readerRevisions: false }));
    expect(readFingerprint(csv)).toBe("tidemark.read/1:bc09e9ba3b211bbe");
    for (const format of ["json", "ndjson", "parquet", "xlsx"]) {
      const d = validateDefinitionObject({ ...structuredClone(base), source: { uri: `file:///data/fp.${format}`, format } }, "fp.yaml");
      expect(readFingerprint(d)).not.toBe(readFingerprint(d, { readerRevisions: false }));
    }
  });
});
