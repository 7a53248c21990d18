/** Object storage: the `ObjectStore` interface, its filesystem and S3 adapters, and helpers. */
export type { DeleteOptions, GetResult, GetStreamResult, ListOptions, ObjectInfo, ObjectStore, PutResult, WriteMode } from "./types.js";
export { FsObjectStore, type FsObjectStoreOptions } from "./fs.js";
export { S3ObjectStore, type S3ObjectStoreOptions } from "./s3.js";
export { openStore, type OpenStoreDeps } from "./open.js";
export { writeOnce, type WriteOnceOutcome } from "./write-once.js";
export { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from "./keys.js";
