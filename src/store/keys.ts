import { InvalidKeyError } from "../errors.js";

/** Largest key accepted, in UTF-8 bytes (the S3 limit). */
export const MAX_KEY_BYTES = 1024;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function segmentsAreValid(segments: string[]): boolean {
  return segments.every((s) => s !== "" && s !== "." && s !== "..");
}

function basicChecks(value: string): boolean {
  return (
    typeof value === "string" &&
    !value.startsWith("/") &&
    !value.includes("\0") &&
    !LONE_SURROGATE.test(value) &&
    Buffer.byteLength(value, "utf8") <= MAX_KEY_BYTES
  );
}

/**
 * Checks an object key: relative, "/"-separated, no empty, "." or ".." segments,
 * no leading "/", no NUL, valid Unicode, at most {@link MAX_KEY_BYTES} bytes.
 * Unicode and spaces are allowed. Throws {@link InvalidKeyError}; returns the key.
 */
export function assertValidKey(key: string): string {
  if (!basicChecks(key) || key === "" || !segmentsAreValid(key.split("/"))) {
    throw new InvalidKeyError(String(key));
  }
  return key;
}

/**
 * Checks a listing prefix: like a key, but it may be empty, end with "/", or end
 * in a partial segment (e.g. `events/2026`). Throws {@link InvalidKeyError}.
 */
export function assertValidPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  const segments = prefix.split("/");
  segments.pop();
  if (!basicChecks(prefix) || !segmentsAreValid(segments)) {
    throw new InvalidKeyError(
      String(prefix),
      `Listing prefix "${String(prefix)}" is invalid: prefixes are relative, "/"-separated and contain no empty, "." or ".." segments.`,
    );
  }
  return prefix;
}

/** Byte-wise (UTF-8) comparison of two keys: the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
