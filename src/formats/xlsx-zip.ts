/**
 * The bytes an XLSX reader gets: the workbook is spooled to a temporary file, its zip central
 * directory is checked against `TIDEMARK_MAX_DECOMPRESSED_BYTES` before anything is inflated, and
 * its XML parts are then inflated here, each capped at the size the directory declares, and handed
 * on as a zip of stored (uncompressed) entries. The reader downstream never inflates anything.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { crc32, createInflateRaw } from "node:zlib";
import { SourceFormatError } from "./errors.js";
import { count, overLimit } from "./limits.js";
import { entryDataOffset, readZipDirectory, type ZipEntry } from "./zip.js";

/** A spooled workbook; `close` removes its temporary file. */
export interface SpooledZip {
  readonly path: string;
  readonly size: number;
  close(): Promise<void>;
}

/** Writes `chunks` to a new temporary file. */
export async function spoolZip(chunks: AsyncIterable<Uint8Array>): Promise<SpooledZip> {
  const dir = await mkdtemp(join(tmpdir(), "tidemark-xlsx-"));
  const path = join(dir, "source.xlsx");
  let size = 0;
  const close = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(
      (async function* () {
        for await (const chunk of chunks) {
          size += chunk.length;
          yield chunk;
        }
      })(),
      createWriteStream(path),
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { path, size, close };
}

/** Parts an XLSX reader reads: XML and relationship files; media and binaries are never inflated. */
export function isWorkbookPart(name: string): boolean {
  return name.endsWith(".xml") || name.endsWith(".rels");
}

const FIRST = ["_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml"];

/** Workbook-level parts first (so sheets stream after the strings they refer to), then the rest in file order. */
function readingOrder(entries: readonly ZipEntry[]): ZipEntry[] {
  const rank = (e: ZipEntry) => (FIRST.includes(e.name) ? FIRST.indexOf(e.name) : FIRST.length);
  return [...entries].sort((a, b) => rank(a) - rank(b) || a.localHeaderOffset - b.localHeaderOffset);
}

/**
 * The workbook parts of the zip at `zip.path`, after checking that together they declare at most
 * `maxBytes` uncompressed bytes (a {@link LimitExceededError} otherwise, before any inflating).
 */
export async function checkedParts(file: FileHandle, zip: SpooledZip, label: string, maxBytes?: number): Promise<ZipEntry[]> {
  const parts = (await readZipDirectory(file, zip.size, label)).filter((e) => isWorkbookPart(e.name));
  const total = parts.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (maxBytes !== undefined && total > maxBytes) {
    throw overLimit(label, `decompresses to ${count(total)} bytes of workbook XML (at most ${count(maxBytes)})`, "TIDEMARK_MAX_DECOMPRESSED_BYTES");
  }
  for (const e of parts) {
    if (e.flags & 1) throw new SourceFormatError(`${label} is password-protected; save an unprotected copy and ingest that.`);
    if (e.method !== 0 && e.method !== 8) throw new SourceFormatError(`${label} uses zip compression method ${e.method}, which XLSX readers do not support; re-export it from Excel as .xlsx.`);
  }
  return readingOrder(parts);
}

function storedHeader(entry: ZipEntry): Buffer {
  const name = Buffer.from(entry.name, "utf8");
  const wide = entry.uncompressedSize >= 0xffffffff;
  const extra = Buffer.alloc(wide ? 20 : 0);
  if (wide) {
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(BigInt(entry.uncompressedSize), 4);
    extra.writeBigUInt64LE(BigInt(entry.uncompressedSize), 12);
  }
  const head = Buffer.alloc(30);
  head.writeUInt32LE(0x04034b50, 0);
  head.writeUInt16LE(wide ? 45 : 20, 4);
  head.writeUInt16LE(0x0800, 6);
  head.writeUInt16LE(0, 8);
  head.writeUInt32LE(entry.crc32, 14);
  head.writeUInt32LE(wide ? 0xffffffff : entry.uncompressedSize, 18);
  head.writeUInt32LE(wide ? 0xffffffff : entry.uncompressedSize, 22);
  head.writeUInt16LE(name.length, 26);
  head.writeUInt16LE(extra.length, 28);
  return Buffer.concat([head, name, extra]);
}

/** The inflated bytes of `entry`, failing as soon as they pass the size its directory declares. */
async function* inflated(file: FileHandle, zip: SpooledZip, entry: ZipEntry, label: string): AsyncGenerator<Uint8Array> {
  const start = await entryDataOffset(file, entry, label);
  const forged = (what: string) =>
    new SourceFormatError(`${label} is a damaged or forged zip: its part ${JSON.stringify(entry.name)} ${what} than the ${count(entry.uncompressedSize)} bytes its zip directory declares; re-export it from Excel as .xlsx.`);
  const raw = createReadStream(zip.path, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 16 });
  const source = entry.compressedSize === 0 ? [] : entry.method === 8 ? raw.pipe(createInflateRaw()) : raw;
  if (entry.method === 8) raw.on("error", (err) => (source as NodeJS.ReadWriteStream & { destroy(e: Error): void }).destroy(err));
  let out = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      out += chunk.length;
      if (out > entry.uncompressedSize) throw forged("inflates to more");
      yield chunk;
    }
  } catch (err) {
    if (err instanceof SourceFormatError) throw err;
    throw new SourceFormatError(`${label} could not be read as an XLSX workbook (${(err as Error).message}); re-export it from Excel as .xlsx.`, undefined, { cause: err });
  } finally {
    raw.destroy();
  }
  if (out < entry.uncompressedSize) throw forged("inflates to fewer bytes");
}

const NO_STRINGS = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>');

/**
 * A zip of stored entries holding the inflated `parts`, ending with an empty end-of-directory
 * record. A workbook without shared strings gets an empty table before its sheets, so the reader
 * streams them instead of copying each to a temporary file it would leave behind on a failure.
 */
export async function* storedZip(file: FileHandle, zip: SpooledZip, parts: readonly ZipEntry[], label: string): AsyncGenerator<Uint8Array> {
  const strings = "xl/sharedStrings.xml";
  const workbookLevel = parts.filter((e) => FIRST.includes(e.name)).length;
  for (const [i, entry] of parts.entries()) {
    if (i === workbookLevel && !parts.some((e) => e.name === strings)) {
      yield storedHeader({ name: strings, method: 0, flags: 0, crc32: crc32(NO_STRINGS), compressedSize: NO_STRINGS.length, uncompressedSize: NO_STRINGS.length, localHeaderOffset: 0 });
      yield NO_STRINGS;
    }
    yield storedHeader(entry);
    yield* inflated(file, zip, entry, label);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  yield end;
}

/** Opens the spooled zip for reading its directory and entries. */
export function openZip(zip: SpooledZip): Promise<FileHandle> {
  return open(zip.path, "r");
}
