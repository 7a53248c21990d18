/**
 * The central directory of a zip archive, read from the end of a file: what each entry says it
 * holds (name, method, sizes, where its local header is). Nothing is inflated here.
 */
import type { FileHandle } from "node:fs/promises";
import { SourceFormatError } from "./errors.js";

/** One entry as the central directory declares it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated; others are not read. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  /** The size the directory declares; a reader must not trust it without checking while it inflates. */
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

function u64(buf: Buffer, at: number): number {
  const n = buf.readBigUInt64LE(at);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(n);
}

interface Directory {
  offset: number;
  size: number;
  entries: number;
}

/** Where the central directory is, from the end record (and its zip64 form when the fields overflow). */
async function locateDirectory(file: FileHandle, fileSize: number, broken: (why: string) => SourceFormatError): Promise<Directory> {
  const tailLength = Math.min(fileSize, 22 + MAX16);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(file, tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw broken("it has no zip central directory (the file is cut short or is not a zip archive)");
  const dir = { entries: tail.readUInt16LE(at + 10), size: tail.readUInt32LE(at + 12), offset: tail.readUInt32LE(at + 16) };
  if (dir.entries !== MAX16 && dir.size !== MAX32 && dir.offset !== MAX32) return dir;
  const locatorAt = tailStart + at - 20;
  const locator = locatorAt >= 0 ? await readAt(file, locatorAt, 20) : Buffer.alloc(0);
  if (locator.length < 20 || locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw broken("its zip64 end record is missing");
  const recordAt = u64(locator, 8);
  const record = recordAt + 56 <= fileSize ? await readAt(file, recordAt, 56) : Buffer.alloc(0);
  if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw broken("its zip64 end record is damaged");
  return { entries: u64(record, 32), size: u64(record, 40), offset: u64(record, 48) };
}

/** The zip64 extra field's values for the fields the fixed part marks as overflowed. */
function zip64Values(extra: Buffer, wanted: number): number[] {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 1 && i + 4 + wanted * 8 <= extra.length && len >= wanted * 8) return Array.from({ length: wanted }, (_, k) => u64(extra, i + 4 + k * 8));
    i += 4 + len;
  }
  return [];
}

/**
 * Reads the central directory of the zip archive in `file` (`fileSize` bytes). A missing or damaged
 * directory is a {@link SourceFormatError} naming `label`.
 */
export async function readZipDirectory(file: FileHandle, fileSize: number, label: string): Promise<ZipEntry[]> {
  const broken = (why: string) => new SourceFormatError(`${label} is not a readable XLSX workbook: ${why}; re-export it from Excel as .xlsx.`);
  const dir = await locateDirectory(file, fileSize, broken);
  if (dir.offset + dir.size > fileSize) throw broken("its zip central directory points past the end of the file");
  const buf = await readAt(file, dir.offset, dir.size);
  const entries: ZipEntry[] = [];
  let at = 0;
  while (at + 46 <= buf.length && buf.readUInt32LE(at) === CENTRAL) {
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > buf.length) break;
    const fixed = { uncompressedSize: buf.readUInt32LE(at + 24), compressedSize: buf.readUInt32LE(at + 20), localHeaderOffset: buf.readUInt32LE(at + 42) };
    const overflowed = (["uncompressedSize", "compressedSize", "localHeaderOffset"] as const).filter((k) => fixed[k] === MAX32);
    const wide = zip64Values(buf.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), overflowed.length);
    if (wide.length < overflowed.length) throw broken("an entry of its zip central directory lacks its zip64 sizes");
    overflowed.forEach((k, i) => (fixed[k] = wide[i]));
    entries.push({
      name: buf.toString("utf8", at + 46, at + 46 + nameLength),
      flags: buf.readUInt16LE(at + 8),
      method: buf.readUInt16LE(at + 10),
      crc32: buf.readUInt32LE(at + 16),
      ...fixed,
    });
    at = end;
  }
  if (entries.length !== dir.entries && dir.entries !== MAX16) throw broken(`its zip central directory lists ${entries.length} of ${dir.entries} entries`);
  return entries;
}

/** Where the data of `entry` starts, from its local header (whose own sizes are not used). */
export async function entryDataOffset(file: FileHandle, entry: ZipEntry, label: string): Promise<number> {
  const head = await readAt(file, entry.localHeaderOffset, 30);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) {
    throw new SourceFormatError(`${label} is not a readable XLSX workbook: the zip entry ${JSON.stringify(entry.name)} has no local header where its directory says; re-export it from Excel as .xlsx.`);
  }
  return entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
}
