import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** sha256 and size of a local file, read once without copying it; null when it is larger than `maxBytes`. */
export async function hashFile(path: string, maxBytes: number, signal?: AbortSignal): Promise<{ sha256: string; bytes: number } | null> {
  if ((await stat(path)).size > maxBytes) return null;
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) return null;
  }
  return { sha256: hash.digest("hex"), bytes };
}
