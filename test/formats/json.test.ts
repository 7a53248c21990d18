import { describe, expect, it } from "vitest";
import { readJson, readNdjson } from "../../src/formats";
import { chunked, collect } from "./helpers";

describe("readJson", () => {
  it.each([1, 4, 1000])("streams the records of a top-level array (%i-byte chunks)", async (size) => {
    const text = ' [ {"id": "a", "v": 1.5, "nested": {"k": [1, 2]}}, {"id": "b\\"]", "v": null},\n{"v": 3, "extra": true} ] ';
    const r = await collect(readJson(chunked(text, size), "data.json", undefined));
    expect(r.names).toEqual(["id", "v", "nested", "extra"]);
    expect(r.rows).toEqual([
      ["a", "1.5", '{"k":[1,2]}', null],
      ['b"]', null, null, null],
      [null, "3", null, "true"],
    ]);
    expect(r.lines).toEqual([1, 2, 3]);
  });

  it("finds the records at a dotted records_path and keeps native values", async () => {
    const text = '{"meta": {"items": "not me", "n": [9]}, "data": {"items": [{"x": 1}, {"x": 2}]}, "after": [1]}';
    const batches = readJson(chunked(text, 5), "data.json", "data.items");
    const values: unknown[] = [];
    for await (const b of batches) for (let i = 0; i < b.length; i++) values.push(b.column(b.names.indexOf("x")).value(i));
    expect(values).toEqual([1, 2]);
  });

  it("explains a missing records array, listing the top-level keys", async () => {
    await expect(collect(readJson(chunked('{"data": []}'), "d.json", undefined))).rejects.toThrow(
      "d.json: the top-level JSON value is an object; set source.options.records_path to the key of the records array.",
    );
    await expect(collect(readJson(chunked('{"data": {"rows": []}, "meta": 1}'), "d.json", "data.items"))).rejects.toThrow(
      'd.json: no records array at records_path "data.items" (top-level keys: data, meta); set source.options.records_path to the dotted path of the array.',
    );
  });

  it("reports non-object records as row problems and fails on truncation or emptiness", async () => {
    const r = await collect(readJson(chunked('[{"a": 1}, 5, [1]]'), "d.json", undefined));
    expect(r.problems).toEqual(["2: is a number, not a JSON object", "3: is a list, not a JSON object"]);
    await expect(collect(readJson(chunked('[{"a": 1}, {"a"'), "d.json", undefined))).rejects.toThrow(
      "d.json: the JSON document ends before the records array is closed (truncated file?).",
    );
    await expect(collect(readJson(chunked(""), "d.json", undefined))).rejects.toThrow("d.json is empty (0 bytes)");
    expect((await collect(readJson(chunked("[]"), "d.json", undefined))).rows).toEqual([]);
  });
});

describe("readNdjson", () => {
  it("reads one object per line, numbering rows by line and skipping blank lines", async () => {
    const r = await collect(readNdjson(chunked('{"a": 1}\r\n\n{"a": 2, "b": "x"}\n{"a": 3}', 3), "d.ndjson"));
    expect(r.rows).toEqual([
      ["1", null],
      ["2", "x"],
      ["3", null],
    ]);
    expect(r.lines).toEqual([1, 3, 4]);
  });

  it("turns a broken line into a row problem", async () => {
    const r = await collect(readNdjson(chunked('{"a": 1}\n{"a": \n"str"\n'), "d.ndjson"));
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toBe("2: is not valid JSON");
    expect(r.problems[1]).toBe("3: is a string, not a JSON object");
  });

  it("rejects invalid UTF-8 and empty files", async () => {
    const bytes = Buffer.concat([Buffer.from('{"a": 1}\n{"a": "'), Buffer.from([0xff]), Buffer.from('"}\n')]);
    await expect(collect(readNdjson(chunked(bytes), "d.ndjson"))).rejects.toThrow("d.ndjson line 2: the line is not valid UTF-8; JSON must be UTF-8 encoded.");
    await expect(collect(readNdjson(chunked(""), "d.ndjson"))).rejects.toThrow("d.ndjson is empty (0 bytes)");
  });
});

describe("a UTF-8 byte order mark at the start of the file", () => {
  const BOM = "\ufeff";
  it.each([1, 2, 1000])("is skipped by readNdjson, and the first line is a record (%i-byte chunks)", async (size) => {
    const r = await collect(readNdjson(chunked(`${BOM}{"id": "a"}\n{"id": "b"}\n`, size), "d.ndjson"));
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([["a"], ["b"]]);
    expect(r.lines).toEqual([1, 2]);
  });

  it.each([1, 2, 1000])("is skipped by readJson (%i-byte chunks)", async (size) => {
    const r = await collect(readJson(chunked(`${BOM}[{"id": "a"}, {"id": "b"}]`, size), "d.json", undefined));
    expect(r.rows).toEqual([["a"], ["b"]]);
  });

  it("is data anywhere else", async () => {
    const r = await collect(readNdjson(chunked(`{"id": "a"}\n${BOM}{"id": "b"}\n`, 3), "d.ndjson"));
    expect(r.problems).toEqual(["2: is not valid JSON"]);
  });
});
