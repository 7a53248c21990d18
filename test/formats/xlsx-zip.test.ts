import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../src/errors";
import { SourceFormatError, readXlsx } from "../../src/formats";
import type { ReadLimits } from "../../src/formats";
import { chunked, sourceOptions } from "./helpers";
import { asZip64, seriesRows, sheetXml, workbookParts, zipOf, type ZipPart } from "./xlsx-fixtures";

const MiB = 1024 * 1024;
let spoolDir: string;
let savedTmp: string | undefined;

async function read(bytes: Buffer, limits: ReadLimits): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const b of readXlsx(chunked(bytes, 4096), sourceOptions("xlsx", "{}"), "book.xlsx", 65536, limits)) {
    for (let i = 0; i < b.length; i++) rows.push(b.names.map((_, c) => b.column(c).value(i)));
  }
  return rows;
}

function failure(bytes: Buffer, limits: ReadLimits): Promise<Error> {
  return read(bytes, limits).then(
    () => new Error("no error"),
    (e: unknown) => e as Error,
  );
}

/** The workbook with its sheet part replaced by `sheet`. */
function withSheet(sheet: Partial<ZipPart>): Buffer {
  const parts = workbookParts(sheetXml(seriesRows(2)));
  parts[parts.length - 1] = { ...parts[parts.length - 1], ...sheet };
  return zipOf(parts);
}

/** Bytes of the XML and .rels parts, as this test wrote them. */
function xmlBytes(parts: ZipPart[]): number {
  return parts.reduce((sum, p) => sum + (p.declare ?? p.data.length), 0);
}

describe("XLSX zip checks (TIDEMARK_MAX_DECOMPRESSED_BYTES)", () => {
  beforeAll(() => {
    savedTmp = process.env.TMPDIR;
    spoolDir = mkdtempSync(join(tmpdir(), "tm-xlsx-spool-"));
    process.env.TMPDIR = spoolDir;
  });
  afterEach(() => {
    expect(readdirSync(spoolDir)).toEqual([]);
  });
  afterAll(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it("reads a normal workbook under the limit", async () => {
    expect(await read(zipOf(workbookParts(sheetXml(seriesRows(3)))), { decompressedBytes: MiB })).toEqual([
      ["A", "2025-01-01", 0.5],
      ["A", "2025-02-01", 1.5],
      ["A", "2025-03-01", 2.5],
    ]);
  });

  it("finds the directory through a zip64 end record", async () => {
    expect(await read(asZip64(zipOf(workbookParts(sheetXml(seriesRows(1))))), { decompressedBytes: MiB })).toEqual([["A", "2025-01-01", 0.5]]);
  });

  it("refuses a workbook whose directory declares more than the limit, from the directory alone", async () => {
    const sheet = sheetXml(seriesRows(2), 32 * MiB);
    const parts = workbookParts(sheet);
    const bomb = zipOf(parts);
    expect(bomb.length).toBeLessThan(MiB / 8);
    const err = await failure(bomb, { decompressedBytes: MiB });
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err.message).toBe(
      `book.xlsx decompresses to ${xmlBytes(parts).toLocaleString("en-US")} bytes of workbook XML (at most 1,048,576), over the limit set by TIDEMARK_MAX_DECOMPRESSED_BYTES; shrink the source or raise TIDEMARK_MAX_DECOMPRESSED_BYTES on the worker.`,
    );
    const garbage = await failure(withSheet({ deflated: Buffer.alloc(64, 0xff), declare: 64 * MiB }), { decompressedBytes: MiB });
    expect(garbage).toBeInstanceOf(LimitExceededError);
    const inflated = await failure(withSheet({ deflated: Buffer.alloc(64, 0xff), declare: 64 * MiB }), {});
    expect(inflated).toBeInstanceOf(SourceFormatError);
    expect(inflated.message).toMatch(/^book\.xlsx could not be read as an XLSX workbook \(.+\); re-export it from Excel as \.xlsx\.$/);
  });

  it("stops inflating a part at the size its directory declares, whatever the limit", async () => {
    const liar = withSheet({ data: sheetXml(seriesRows(2), 8 * MiB), declare: 2000 });
    for (const limits of [{ decompressedBytes: MiB }, {}]) {
      const err = await failure(liar, limits);
      expect(err).toBeInstanceOf(SourceFormatError);
      expect(err.message).toBe(
        'book.xlsx is a damaged or forged zip: its part "xl/worksheets/sheet1.xml" inflates to more than the 2,000 bytes its zip directory declares; re-export it from Excel as .xlsx.',
      );
    }
    const sheet = sheetXml(seriesRows(2));
    const short = await failure(withSheet({ data: sheet, declare: sheet.length + 10 }), {});
    expect(short.message).toBe(
      `book.xlsx is a damaged or forged zip: its part "xl/worksheets/sheet1.xml" inflates to fewer bytes than the ${(sheet.length + 10).toLocaleString("en-US")} bytes its zip directory declares; re-export it from Excel as .xlsx.`,
    );
  });

  it("refuses a zip without a central directory", async () => {
    const whole = zipOf(workbookParts(sheetXml(seriesRows(1))));
    const err = await failure(whole.subarray(0, whole.length - 30), {});
    expect(err).toBeInstanceOf(SourceFormatError);
    expect(err.message).toBe("book.xlsx is not a readable XLSX workbook: it has no zip central directory (the file is cut short or is not a zip archive); re-export it from Excel as .xlsx.");
  });
});
