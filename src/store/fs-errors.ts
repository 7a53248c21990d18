import { AlreadyExistsError, InvalidKeyError, NotFoundError, StoreAccessDeniedError, StoreConfigError, StoreUnavailableError, TidemarkError } from "../errors.js";
import { errCode } from "./fs-io.js";

/** Whether a filesystem store call was reading or writing (a missing path means "not found" to a read, a vanished directory to a write). */
export type FsOp = "read" | "write";

/** The typed store error for a Node filesystem error on `key` of the store at `url`; Tidemark errors pass through. */
export function fsStoreError(e: unknown, url: string, key: string, op: FsOp): Error {
  if (e instanceof TidemarkError) return e;
  const code = errCode(e);
  const where = `${url} (key "${key}")`;
  switch (code) {
    case "ENOENT":
      if (op === "read") return new NotFoundError(key);
      return new StoreUnavailableError(`A directory of ${where} vanished during the write; retry it.`, { cause: e });
    case "ENOTDIR":
    case "EISDIR":
      if (op === "read") return new NotFoundError(key);
      return new InvalidKeyError(key, `Object key "${key}" collides with a directory or file of another key on the filesystem backend.`);
    case "EACCES":
    case "EPERM":
      return new StoreAccessDeniedError(`Permission denied on ${where}; check the owner and mode of the store directory.`, { cause: e });
    case "ENAMETOOLONG":
      return new InvalidKeyError(key, `Object key "${key}" is too long for the filesystem backend.`);
    case "EROFS":
      return new StoreConfigError(`Store ${url} is on a read-only filesystem; point it at a writable directory.`, { cause: e });
    default:
      if (code === undefined) return e instanceof Error ? e : new Error(String(e));
      return new StoreUnavailableError(`Filesystem error ${code} on ${where}; retry once the condition clears.`, { cause: e });
  }
}

/** The error of a create whose name is taken: by an object, or by a directory of other objects. */
export function takenError(key: string, isDirectory: boolean): Error {
  if (isDirectory) return new InvalidKeyError(key, `Object key "${key}" names a directory holding other objects on the filesystem backend.`);
  return new AlreadyExistsError(key);
}
