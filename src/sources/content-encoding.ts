import { pipeline, type Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { UnsupportedSourceError } from "./errors";

const DECODERS: Record<string, () => Transform> = { gzip: createGunzip, "x-gzip": createGunzip, deflate: createInflate, br: createBrotliDecompress };
/** Codings that leave the bytes as they are (`aws-chunked` is S3's upload framing, already removed). */
const AS_IS = new Set(["", "identity", "aws-chunked"]);

/**
 * The bytes of a source whose origin sent them with `Content-Encoding` (an HTTP header, an S3
 * object's `ContentEncoding`): the representation's own bytes, decoded in the reverse order of the
 * codings, so they are hashed and read as the file they are. Null when there is nothing to decode.
 * A coding other than gzip, deflate or br is refused with {@link UnsupportedSourceError}.
 */
export function decodedStream(stream: Readable, contentEncoding: string | undefined, shown: string): Readable | null {
  const codings = (contentEncoding ?? "").split(",").map((c) => c.trim().toLowerCase()).filter((c) => !AS_IS.has(c));
  if (codings.length === 0) return null;
  const unknown = codings.find((c) => DECODERS[c] === undefined);
  if (unknown !== undefined) {
    stream.destroy();
    throw new UnsupportedSourceError(`Source ${shown} was sent with Content-Encoding "${unknown}", which Tidemark cannot decode; serve it uncompressed or with gzip, deflate or br.`);
  }
  const decoders = codings.reverse().map((c) => DECODERS[c]());
  const last = decoders[decoders.length - 1];
  pipeline([stream, ...decoders], () => undefined);
  return last;
}
