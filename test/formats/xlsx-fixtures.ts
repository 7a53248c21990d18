import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";

/** One part of a hand-built zip; `declare` overrides the uncompressed size written in its headers. */
export interface ZipPart {
  name: string;
  data: Buffer;
  /** Deflated bytes to store instead of deflating `data` (e.g. garbage that must never be inflated). */
  deflated?: Buffer;
  declare?: number;
  /** The CRC-32 to write instead of `data`'s. */
  crc?: number;
}

/** A zip archive of deflated `parts`, written byte by byte here (not by the code under test). */
export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name);
    const body = p.deflated ?? deflateRawSync(p.data);
    const size = p.declare ?? p.data.length;
    const fields = (h: Buffer, at: number) => {
      h.writeUInt16LE(20, at);
      h.writeUInt16LE(0, at + 2);
      h.writeUInt16LE(8, at + 4);
      h.writeUInt32LE(p.crc ?? crc32(p.data), at + 10);
      h.writeUInt32LE(body.length, at + 14);
      h.writeUInt32LE(size, at + 18);
      h.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    fields(central, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

function cell(ref: string, v: string | number): string {
  return typeof v === "number" ? `<c r="${ref}"><v>${v}</v></c>` : `<c r="${ref}" t="inlineStr"><is><t>${v}</t></is></c>`;
}

/** The XML of a sheet holding `rows` (inline strings and numbers), plus `padding` bytes of blank space before its end. */
export function sheetXml(rows: (string | number)[][], padding = 0): Buffer {
  const body = rows.map((r, i) => `<row r="${i + 1}">${r.map((v, c) => cell(`${String.fromCharCode(65 + c)}${i + 1}`, v)).join("")}</row>`).join("");
  return Buffer.concat([Buffer.from(`${XML}<worksheet xmlns="${MAIN}"><sheetData>${body}</sheetData>`), Buffer.alloc(padding, " "), Buffer.from("</worksheet>")]);
}

/**
 * The sheet part of `rows` followed by `padding` bytes of blank space, deflated as it is generated
 * (the padding is never held in memory whole); its headers declare `declare` bytes, else the truth.
 */
export async function paddedSheetPart(rows: (string | number)[][], padding: number, declare?: number): Promise<ZipPart> {
  const [head, tail] = sheetXml(rows).toString().split("</worksheet>");
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => deflate.on("end", resolve).on("error", reject));
  let crc = 0;
  let size = 0;
  const write = async (chunk: Buffer) => {
    crc = crc32(chunk, crc);
    size += chunk.length;
    if (!deflate.write(chunk)) await new Promise((r) => deflate.once("drain", r));
  };
  await write(Buffer.from(head));
  const blank = Buffer.alloc(1 << 20, " ");
  for (let left = padding; left > 0; left -= blank.length) await write(left >= blank.length ? blank : blank.subarray(0, left));
  await write(Buffer.from(`</worksheet>${tail}`));
  deflate.end();
  await done;
  return { name: "xl/worksheets/sheet1.xml", data: Buffer.alloc(0), deflated: Buffer.concat(out), declare: declare ?? size, crc };
}

/** The parts of a one-sheet workbook ("Data") around `sheet`, in the order Excel writes them. */
export function workbookParts(sheet: Buffer): ZipPart[] {
  const text = (name: string, xml: string): ZipPart => ({ name, data: Buffer.from(XML + xml) });
  return [
    text("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    text("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    text("xl/workbook.xml", `<workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    text("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`),
    { name: "xl/worksheets/sheet1.xml", data: sheet },
  ];
}

/** The series rows most tests ingest: header plus `n` monthly values of series A. */
export function seriesRows(n: number): (string | number)[][] {
  return [["series_id", "obs_date", "value"], ...Array.from({ length: n }, (_, i) => ["A", `2025-${String(i + 1).padStart(2, "0")}-01`, i + 0.5])];
}

/** `zip` with its end record in zip64 form: the 16/32-bit fields saturated and the real values in a zip64 end record and locator. */
export function asZip64(zip: Buffer): Buffer {
  const endAt = zip.length - 22;
  const end = zip.subarray(endAt);
  const entries = end.readUInt16LE(10);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(entries), 24);
  record.writeBigUInt64LE(BigInt(entries), 32);
  record.writeBigUInt64LE(BigInt(end.readUInt32LE(12)), 40);
  record.writeBigUInt64LE(BigInt(end.readUInt32LE(16)), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(endAt), 8);
  locator.writeUInt32LE(1, 16);
  const saturated = Buffer.from(end);
  saturated.writeUInt16LE(0xffff, 8);
  saturated.writeUInt16LE(0xffff, 10);
  saturated.writeUInt32LE(0xffffffff, 12);
  saturated.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([zip.subarray(0, endAt), record, locator, saturated]);
}
