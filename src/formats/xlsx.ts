/**
 * XLSX reader on exceljs's streaming WorkbookReader: rows are read one at a time
 * from the chosen sheet and gathered into columnar batches of native values
 * (string, number, boolean, Date). Row numbers are the sheet's own row numbers.
 */
import type { FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import type * as ExcelJS from "exceljs";
import type { SourceOptions } from "../definition/schema.js";
import { LimitExceededError } from "../errors.js";
import { SourceFormatError } from "./errors.js";
import { emptyError } from "./input.js";
import { count, overLimit, type ReadLimits } from "./limits.js";
import { type RawBatch, SimpleBatch, ValueColumn } from "./types.js";
import { checkedParts, openZip, spoolZip, storedZip } from "./xlsx-zip.js";

interface SheetModel {
  readonly name: string;
}

interface StreamingSheet extends AsyncIterable<ExcelJS.Row> {
  readonly name: string;
  readonly workbook: { model?: { sheets?: SheetModel[] }; properties?: { model?: { date1904?: boolean } } };
}

const DAY_MS = 86_400_000;

/** 1899-12-31: Excel's serial 1 (1900-01-01) as exceljs reads it. */
const SERIAL_1 = Date.UTC(1899, 11, 31);

/** 1900-02-28: Excel's serial 60 as exceljs reads it. */
const SERIAL_60 = Date.UTC(1900, 1, 28);

/**
 * The date Excel shows for a date cell that exceljs read as `d`. exceljs counts every 1900-system
 * serial from 1899-12-30, but Excel counts a 1900-02-29 (Lotus 1-2-3's leap-year bug): its serials
 * 1–59 are 1900-01-01 … 1900-02-28, one day after what exceljs reads, and serial 60 is that
 * 1900-02-29, which is no date: it is returned as text, which the date and timestamp casts refuse.
 * Time-only cells (serials below 1) and every date from 1900-03-01 on are left as they are; a
 * 1904-system workbook has no serial in this range.
 */
export function excelDate(d: Date): Date | string {
  const ms = d.getTime();
  if (!(ms >= SERIAL_1 && ms < SERIAL_60 + DAY_MS)) return d;
  if (ms < SERIAL_60) return new Date(ms + DAY_MS);
  return ms === SERIAL_60 ? "1900-02-29" : `1900-02-29${d.toISOString().slice(10)}`;
}

/** Whether a number format shows a date or time: a date or time letter outside quoted text and `[…]` (exceljs's own test for date cells). */
function isDateFormat(format: string | undefined): boolean {
  return format !== undefined && /[ymdhMsb]/.test(format.replace(/\[[^\]]*]/g, "").replace(/"[^"]*"/g, ""));
}

/**
 * What a formula cell whose cached result is an error reads as: exceljs gives such a result as NaN,
 * losing the code (`#DIV/0!`, `#N/A`…), and Excel has no NaN, so it is this text, which every
 * number, date and bool cast refuses (a bad row) instead of an empty cell.
 */
export const FORMULA_ERROR = "#ERROR!";

/**
 * The value of cell `c` of `row` (raw exceljs value `v`): as {@link cellValue}, except for a formula's
 * cached number, read from the cell itself (the value exceljs gives drops a result of 0; an error
 * result is {@link FORMULA_ERROR}), and shown as
 * the date Excel shows when the cell has a date format, like a date cell (exceljs turns only plain
 * cells into dates). `date1904`: the workbook counts serials from 1904-01-01.
 */
function sheetCellValue(v: unknown, row: ExcelJS.Row, c: number, date1904: boolean): unknown {
  if (typeof v !== "object" || v === null || !("formula" in v || "sharedFormula" in v)) return cellValue(v);
  const cell = row.getCell(c);
  const result: unknown = cell.result;
  if (typeof result === "number" && Number.isNaN(result)) return FORMULA_ERROR;
  if (typeof result !== "number" || !Number.isFinite(result)) return cellValue(v);
  if (!isDateFormat(cell.numFmt)) return result;
  return excelDate(new Date(Math.round((result - 25569 + (date1904 ? 1462 : 0)) * DAY_MS)));
}

/** Flattens an exceljs cell value to a native value: rich text and hyperlinks to text, formulas to their result, errors to their code, dates to the dates Excel shows ({@link excelDate}). */
export function cellValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return excelDate(v);
  if (typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.richText)) return (o.richText as { text?: string }[]).map((r) => r.text ?? "").join("");
  if ("formula" in o || "sharedFormula" in o) return cellValue(o.result);
  if ("error" in o) return String(o.error);
  if ("text" in o) return cellValue(o.text);
  return JSON.stringify(v);
}

async function withMagicCheck(chunks: AsyncIterable<Uint8Array>, label: string): Promise<AsyncGenerator<Uint8Array>> {
  const it = chunks[Symbol.asyncIterator]();
  let first: Uint8Array | undefined;
  for (;;) {
    const r = await it.next();
    if (r.done) throw emptyError(label);
    if (r.value.length > 0) {
      first = r.value;
      break;
    }
  }
  if (first.length < 4 || first[0] !== 0x50 || first[1] !== 0x4b || first[2] !== 0x03 || first[3] !== 0x04) {
    throw new SourceFormatError(`${label} is not an XLSX workbook (it is not a zip archive); check source.format or re-export the file as .xlsx.`);
  }
  return (async function* () {
    yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();
}

/** Iterates `items`, rejecting as soon as `failure` rejects (exceljs does not see errors of its input stream). */
async function* guarded<T>(items: AsyncIterable<T>, failure: Promise<never>): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  for (;;) {
    const r = await Promise.race([it.next(), failure]);
    if (r.done) return;
    yield r.value;
  }
}

function sheetList(sheet: StreamingSheet): string {
  const names = sheet.workbook.model?.sheets?.map((s) => JSON.stringify(s.name)) ?? [];
  return names.length > 0 ? names.join(", ") : "unknown";
}

/** ExcelJS, loaded on first use: it costs ~0.5 s of start-up that workers reading no XLSX should not pay. */
async function loadExcelJs(): Promise<typeof ExcelJS> {
  const mod = (await import("exceljs")) as typeof ExcelJS & { default?: typeof ExcelJS };
  return mod.default ?? mod;
}

/**
 * Reads one sheet (`options.sheet`: a name or 0-based index, default the first)
 * with the header at `options.header_row` and `options.skip_rows` rows skipped
 * after it. Blank rows are skipped. The workbook is spooled to a temporary file first: its zip
 * directory is checked against `limits.decompressedBytes` before anything is inflated, and no part
 * inflates past the size the directory declares (see ./xlsx-zip.ts).
 */
export async function* readXlsx(chunks: AsyncIterable<Uint8Array>, options: SourceOptions, label: string, batchRows = 65536, limits: ReadLimits = {}): AsyncGenerator<RawBatch> {
  const zip = await spoolZip(await withMagicCheck(chunks, label));
  let file: FileHandle | undefined;
  let stream: Readable | undefined;
  try {
    file = await openZip(zip);
    const parts = await checkedParts(file, zip, label, limits.decompressedBytes);
    stream = Readable.from(storedZip(file, zip, parts, label));
    yield* readWorkbook(stream, options, label, batchRows, limits);
  } finally {
    stream?.destroy();
    await file?.close();
    await zip.close();
  }
}

async function* readWorkbook(stream: Readable, options: SourceOptions, label: string, batchRows: number, limits: ReadLimits): AsyncGenerator<RawBatch> {
  const failure = new Promise<never>((_, reject) => stream.once("error", reject));
  failure.catch(() => undefined);
  const excel = await loadExcelJs();
  const reader = new excel.stream.xlsx.WorkbookReader(stream, { sharedStrings: "cache", styles: "cache", worksheets: "emit", hyperlinks: "ignore", entries: "ignore" });
  const wanted = options.sheet;
  let index = -1;
  let matched: StreamingSheet | undefined;
  let lastSeen: StreamingSheet | undefined;
  try {
    for await (const ws of guarded(reader as unknown as AsyncIterable<StreamingSheet>, failure)) {
      index++;
      lastSeen = ws;
      const order = ws.workbook.model?.sheets?.findIndex((s) => s.name === ws.name) ?? index;
      const isIt = wanted === undefined ? order === 0 || (order < 0 && index === 0) : typeof wanted === "number" ? (order >= 0 ? order : index) === wanted : ws.name === wanted;
      if (!isIt || matched) {
        for await (const _row of guarded(ws, failure)) void _row;
        continue;
      }
      matched = ws;
      yield* readSheet(ws, guarded(ws, failure), options, label, batchRows, limits);
    }
  } catch (err) {
    if (err instanceof SourceFormatError || err instanceof LimitExceededError) throw err;
    throw new SourceFormatError(`${label} could not be read as an XLSX workbook (${(err as Error).message}); re-export it from Excel as .xlsx.`, undefined, { cause: err });
  }
  if (!matched) {
    const which = wanted === undefined ? "no sheets" : typeof wanted === "number" ? `no sheet at index ${wanted}` : `no sheet named ${JSON.stringify(wanted)}`;
    const list = lastSeen ? ` (sheets: ${sheetList(lastSeen)})` : "";
    throw new SourceFormatError(`${label} has ${which}${list}; fix source.options.sheet.`);
  }
}

async function* readSheet(ws: StreamingSheet, sheetRows: AsyncIterable<ExcelJS.Row>, options: SourceOptions, label: string, batchRows: number, limits: ReadLimits): AsyncGenerator<RawBatch> {
  const headerRow = options.header_row;
  let cells = 0;
  let skip = options.skip_rows;
  let names: string[] | null = null;
  let cols: unknown[][] = [];
  let rows: number[] = [];
  let emitted = false;
  const date1904 = ws.workbook.properties?.model?.date1904 === true;
  const flush = (): RawBatch => {
    const batch = new SimpleBatch(names!, true, Int32Array.from(rows), cols.map((c) => new ValueColumn(c)));
    cols = names!.map(() => []);
    rows = [];
    emitted = true;
    return batch;
  };
  for await (const row of sheetRows) {
    if (row.number < headerRow) continue;
    const values = row.values as unknown[];
    if (names === null) {
      if (row.number > headerRow) break;
      names = [];
      for (let c = 1; c < values.length; c++) {
        const v = cellValue(values[c]);
        names.push(v === null ? "" : String(v instanceof Date ? v.toISOString().slice(0, 10) : v).trim());
      }
      while (names.length > 0 && names[names.length - 1] === "") names.pop();
      if (limits.columns !== undefined && names.length > limits.columns) throw overLimit(label, `has ${count(names.length)} columns (at most ${count(limits.columns)})`, "TIDEMARK_MAX_COLUMNS");
      cols = names.map(() => []);
      continue;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    let blank = true;
    for (let c = 0; c < names.length; c++) {
      const v = sheetCellValue(values[c + 1], row, c + 1, date1904);
      if (v !== null && v !== "") blank = false;
      cols[c].push(v);
    }
    if (blank) {
      for (const col of cols) col.pop();
      continue;
    }
    rows.push(row.number);
    cells += names.length;
    if (limits.xlsxCells !== undefined && cells > limits.xlsxCells) throw overLimit(label, `has more than ${count(limits.xlsxCells)} cells`, "TIDEMARK_MAX_XLSX_CELLS");
    if (rows.length >= batchRows) yield flush();
  }
  if (names === null) throw new SourceFormatError(`${label} sheet ${JSON.stringify(ws.name)} has no header row ${headerRow} (the sheet ends before it); fix source.options.header_row.`);
  if (rows.length > 0 || !emitted) yield flush();
}
