/** Source inputs: a file path, a `file://` URL, a Node Readable or any async iterable of bytes. */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { SourceFormatError } from "./errors.js";

/** Where a reader takes its bytes from. */
export type SourceInput = string | Readable | AsyncIterable<Uint8Array>;

/** The local path of a path or `file://` URL input. */
export function inputPath(input: string): string {
  return input.startsWith("file://") ? fileURLToPath(input) : input;
}

function openError(label: string, err: unknown): SourceFormatError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory, not a file" : `cannot be read (${code ?? String(err)})`;
  return new SourceFormatError(`${label} ${why}.`, undefined, { cause: err });
}

/** Streams the input's bytes in chunks of about `chunkBytes`. */
export async function* inputChunks(input: SourceInput, label: string, chunkBytes = 1 << 20): AsyncGenerator<Uint8Array> {
  if (typeof input !== "string") {
    for await (const chunk of input) yield typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
    return;
  }
  const path = inputPath(input);
  try {
    if ((await stat(path)).isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
  } catch (err) {
    throw openError(label, err);
  }
  yield* createReadStream(path, { highWaterMark: chunkBytes });
}

/** Reads the whole input into one Buffer (for formats that need random access, like Parquet). */
export async function inputBytes(input: SourceInput, label: string): Promise<Buffer> {
  if (typeof input === "string") {
    try {
      return await readFile(inputPath(input));
    } catch (err) {
      throw openError(label, err);
    }
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of input) parts.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array));
  return Buffer.concat(parts);
}

/** Throws the standard "is empty" error. */
export function emptyError(label: string): SourceFormatError {
  return new SourceFormatError(`${label} is empty (0 bytes); check that the export that produces it finished.`);
}
