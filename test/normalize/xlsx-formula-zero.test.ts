import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { normalizeSource } from "../../src/normalize";
import { chunked } from "../formats/helpers";
import { zipOf } from "../formats/xlsx-fixtures";

const definition = parseDefinition(
  `id: t
source: { uri: "file:///x.xlsx" }
schema:
  columns:
    - { name: id, type: string }
    - { name: d, type: date }
    - { name: n, type: double }
    - { name: k, type: int }
  key: [id]
  partition_by: d
`,
  "t.yaml",
);

const xml = (text: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${text}`);

/** A workbook written here as Excel saves it: formula cells with their cached results (`<f>` then `<v>`), inline strings for text. */
function book(rows: string[]): Buffer {
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  return zipOf([
    { name: "[Content_Types].xml", data: xml('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>') },
    { name: "_rels/.rels", data: xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`) },
    { name: "xl/workbook.xml", data: xml(`<workbook ${ns}><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`) },
    { name: "xl/_rels/workbook.xml.rels", data: xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`) },
    { name: "xl/worksheets/sheet1.xml", data: xml(`<worksheet ${ns}><sheetData>${rows.join("")}</sheetData></worksheet>`) },
  ]);
}

const text = (ref: string, v: string) => `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
const formula = (ref: string, f: string, v: string) => `<c r="${ref}"><f>${f}</f><v>${v}</v></c>`;

describe("XLSX formula cells whose cached result is 0", () => {
  it("are 0, not empty", async () => {
    const bytes = book([
      `<row r="1">${text("A1", "id")}${text("B1", "d")}${text("C1", "n")}${text("D1", "k")}</row>`,
      `<row r="2">${text("A2", "zero")}${text("B2", "2024-01-31")}${formula("C2", "1-1", "0")}${formula("D2", "2-2", "0")}</row>`,
      `<row r="3">${text("A3", "other")}${text("B3", "2024-01-31")}${formula("C3", "1/4", "0.25")}${formula("D3", "1+1", "2")}</row>`,
    ]);
    const r = await normalizeSource({ definition, input: chunked(bytes, 1 << 20), fileLabel: "book.xlsx" });
    expect(r.badRows).toEqual([]);
    expect(r.table.toArray().map((x) => { const o = x.toJSON(); return [o.id, o.n, o.k]; })).toEqual([
      ["zero", 0, 0n],
      ["other", 0.25, 2n],
    ]);
  });
});

describe("XLSX formula cells whose cached result is an error", () => {
  it("are a bad row in a number column, not an empty cell", async () => {
    const bytes = book([
      `<row r="1">${text("A1", "id")}${text("B1", "d")}${text("C1", "n")}${text("D1", "k")}</row>`,
      `<row r="2">${text("A2", "div")}${text("B2", "2024-01-31")}<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>${formula("D2", "1+1", "2")}</row>`,
      `<row r="3">${text("A3", "ok")}${text("B3", "2024-01-31")}${formula("C3", "1/4", "0.25")}${formula("D3", "1+1", "2")}</row>`,
    ]);
    const r = await normalizeSource({ definition: { ...definition, on_bad_rows: "quarantine" }, input: chunked(bytes, 1 << 20), fileLabel: "book.xlsx" });
    expect(r.badRows).toMatchObject([{ row: 2, column: "n", value: "#ERROR!" }]);
    expect(r.table.toArray().map((x) => x.toJSON().id)).toEqual(["ok"]);
  });
});
