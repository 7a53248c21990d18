import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFormatError, readCsv, readSource } from "../../src/formats";
import { chunked, collect, sourceOptions } from "./helpers";

const csv = sourceOptions("csv");
const read = (text: string | Uint8Array, options = csv, size = 7, extra: { maxRecordBytes?: number; batchRows?: number } = {}) =>
  collect(readCsv(chunked(text, size), options, { fileLabel: "series.csv", chunkBytes: 16, ...extra }));

describe("readCsv", () => {
  it("splits fields and rows, numbering rows by file line", async () => {
    const r = await read("a,b,c\n1,2,3\n4,5,6\n");
    expect(r.names).toEqual(["a", "b", "c"]);
    expect(r.rows).toEqual([
      ["1", "2", "3"],
      ["4", "5", "6"],
    ]);
    expect(r.lines).toEqual([2, 3]);
  });

  it.each([1, 2, 3, 5, 64, 1 << 20])("gives the same result with %i-byte chunks", async (size) => {
    const text = 'id,text,n\r\n1,"a ""quoted"" word",2\r\n2,"multi\r\nline, with comma",3\r\n3,plain,\r\n';
    const r = await read(text, csv, size);
    expect(r.rows).toEqual([
      ["1", 'a "quoted" word', "2"],
      ["2", "multi\r\nline, with comma", "3"],
      ["3", "plain", ""],
    ]);
    expect(r.lines).toEqual([2, 3, 5]);
  });

  it("handles a BOM, a missing final newline, blank lines and bare CR line ends", async () => {
    expect((await read("\ufeffa,b\n\n1,2\n\n3,4")).rows).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
    expect((await read("\ufeffa,b\n")).names).toEqual(["a", "b"]);
    expect((await read("a,b\r1,2\r3,4\r")).rows).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  it("honours delimiter, quote, escape, comment and skip_rows options", async () => {
    const opts = sourceOptions("csv", `{ delimiter: ";", quote: "'", escape: "\\\\", comment: "#", skip_rows: 2 }`);
    const text = "Title line\nexported 2025-01-01\nid;name\n# a comment\n1;'it\\'s; fine'\n2;x\n";
    const r = await read(text, opts);
    expect(r.names).toEqual(["id", "name"]);
    expect(r.rows).toEqual([
      ["1", "it's; fine"],
      ["2", "x"],
    ]);
    expect(r.lines).toEqual([5, 6]);
  });

  it("names columns 1..n without a header", async () => {
    const r = await read("x,1\ny,2\n", sourceOptions("csv", "{ header: false }"));
    expect(r.names).toEqual(["1", "2"]);
    expect(r.rows).toEqual([
      ["x", "1"],
      ["y", "2"],
    ]);
    expect(r.lines).toEqual([1, 2]);
  });

  it("decodes latin1 (windows-1252) bytes", async () => {
    const bytes = Buffer.from("name;value\ncaf\xe9 \x80;1,5\n", "latin1");
    const r = await read(bytes, sourceOptions("csv", `{ delimiter: ";", encoding: latin1 }`));
    expect(r.rows).toEqual([["café €", "1,5"]]);
  });

  it("reports rows with a wrong field count as row problems, not fatal errors", async () => {
    const r = await read("a,b,c\n1,2\n1,2,3,4\n5,6,7\n");
    expect(r.problems).toEqual(["2: has 2 fields but the header has 3", "3: has 4 fields but the header has 3"]);
    expect(r.rows).toEqual([
      ["1", "2", null],
      ["1", "2", "3"],
      ["5", "6", "7"],
    ]);
  });

  it("fails clearly on a quote that is never closed", async () => {
    await expect(read('a,b\n1,2\n3,"open\n4,5\n')).rejects.toThrow(
      'series.csv row 3: field 2 opens a quote that is never closed; close it, or double any quote inside a quoted field.',
    );
  });

  it("fails clearly on text after a closing quote", async () => {
    await expect(read('a,b\n1,"x"y\n')).rejects.toThrow('series.csv row 2: unexpected "y" after the closing quote of field 2; quote the whole field and double any quote inside it.');
  });

  it("fails on bytes that are not UTF-8, naming the row", async () => {
    const bytes = Buffer.concat([Buffer.from("a,b\n1,ok\n2,caf"), Buffer.from([0xe9]), Buffer.from("\n3,x\n")]);
    const err = await read(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as SourceFormatError).row).toBe(3);
    expect((err as Error).message).toBe(
      "series.csv row 3: byte 0xe9 is not valid UTF-8; declare the file's encoding (e.g. source.options.encoding: latin1) or re-export it as UTF-8.",
    );
  });

  it("fails on a 0-byte file and returns no rows for a header-only file", async () => {
    await expect(read("")).rejects.toThrow("series.csv is empty (0 bytes); check that the export that produces it finished.");
    const r = await read("a,b\r\n");
    expect(r.names).toEqual(["a", "b"]);
    expect(r.rows).toEqual([]);
    await expect(read("\n\n")).rejects.toThrow("series.csv has no header row: it holds only blank or comment lines.");
  });

  it("refuses a record longer than the cap instead of buffering it", async () => {
    await expect(read(`a\n${"x".repeat(5000)}\n`, csv, 256, { maxRecordBytes: 1024 })).rejects.toThrow(/^series\.csv row 2: the row is longer than 1,024 bytes \(source\.options\.max_row_bytes\);/);
  });

  it("refuses a single line over 64 MiB with the default cap", async () => {
    async function* huge(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("a,b\n1,");
      const block = Buffer.alloc(1 << 20, 0x78);
      for (let i = 0; i < 80; i++) yield block;
    }
    const err = await collect(readCsv(huge(), csv, { fileLabel: "big.csv" })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^big\.csv row 2: the row is longer than 64 MiB \(source\.options\.max_row_bytes\); a quote is probably never closed/);
  }, 120_000);

  it("splits large inputs into batches", async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `${i},v${i}`).join("\n");
    let batches = 0;
    let rows = 0;
    for await (const b of readCsv(chunked(`n,v\n${lines}\n`, 333), csv, { fileLabel: "x.csv", batchRows: 64, chunkBytes: 100 })) {
      batches++;
      rows += b.length;
      expect(b.length).toBeLessThanOrEqual(64);
    }
    expect(rows).toBe(1000);
    expect(batches).toBeGreaterThan(15);
  });

  it("stays linear when every record needs the general path", async () => {
    const quoted = Array.from({ length: 100_000 }, (_, i) => `"${i}","x"`).join("\n");
    const crOnly = Array.from({ length: 100_000 }, (_, i) => `${i},x`).join("\r");
    const big = { fileLabel: "big.csv" };
    let rows = 0;
    for await (const b of readCsv(chunked(`a,b\n${quoted}\n`, 1 << 16), csv, big)) rows += b.length;
    for await (const b of readCsv(chunked(`a,b\r${crOnly}\r`, 1 << 16), csv, big)) rows += b.length;
    expect(rows).toBe(200_000);
  });

  it("reads from a file path through readSource", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidemark-csv-"));
    writeFileSync(join(dir, "s.csv"), "a,b\n1,2\n");
    const r = await collect(readSource(join(dir, "s.csv"), "csv", csv, { fileLabel: "s.csv" }));
    expect(r.rows).toEqual([["1", "2"]]);
    await expect(collect(readSource(join(dir, "none.csv"), "csv", csv, { fileLabel: "none.csv" }))).rejects.toThrow("none.csv does not exist.");
  });
});
