/** Opening a `file://` store without loading the S3 client (see ./open.ts for every scheme). */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StoreConfigError } from "../errors.js";
import { FsObjectStore } from "./fs.js";
import type { ObjectStore } from "./types.js";

/** The error of an invalid store URL. */
export function badUrl(url: string, why: string): StoreConfigError {
  return new StoreConfigError(
    `Store URL "${url}" is invalid: ${why}. Use file:///absolute/dir, file://./relative/dir or s3://bucket/prefix.`,
  );
}

/** Percent-decodes part of a store URL. */
export function decode(url: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badUrl(url, "it contains malformed percent-encoding");
  }
}

/** Opens a `file:///abs/dir` or `file://./rel/dir` store; throws {@link StoreConfigError} for a malformed file URL. */
export function openFileStore(url: string): ObjectStore {
  const rest = url.slice("file://".length);
  if (rest.startsWith("/")) return new FsObjectStore(fileURLToPath(url));
  if (rest === "." || rest === ".." || rest.startsWith("./") || rest.startsWith("../")) {
    return new FsObjectStore(resolve(decode(url, rest)));
  }
  throw badUrl(url, "a file URL needs an absolute path (file:///dir) or one starting with ./ or ../");
}
