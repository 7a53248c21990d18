import { createHash } from "node:crypto";
import { AlreadyExistsError, ConflictingObjectError } from "../errors.js";
import type { ObjectStore } from "./types.js";

/** Outcome of {@link writeOnce}: the object was written now, or an identical one was already there. */
export type WriteOnceOutcome = "created" | "existed";

/**
 * Writes a create-only object idempotently: a retry that finds the key already holding the
 * same bytes succeeds with "existed"; different bytes throw {@link ConflictingObjectError}.
 * `sendOnce` is the create mode's (see `WriteMode`).
 */
export async function writeOnce(store: ObjectStore, key: string, body: Uint8Array | string, options: { sendOnce?: boolean } = {}): Promise<WriteOnceOutcome> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  try {
    await store.put(key, bytes, { kind: "create", ...options });
    return "created";
  } catch (e) {
    if (!(e instanceof AlreadyExistsError)) throw e;
  }
  const existing = await store.head(key);
  if (existing.size !== bytes.byteLength) throw new ConflictingObjectError(key);
  const { stream } = await store.getStream(key);
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  if (!hash.digest().equals(createHash("sha256").update(bytes).digest())) throw new ConflictingObjectError(key);
  return "existed";
}
