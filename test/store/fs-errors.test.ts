import { describe, expect, it } from "vitest";
import { AlreadyExistsError, InvalidKeyError, NotFoundError, StoreAccessDeniedError, StoreConfigError, StoreUnavailableError } from "../../src/errors";
import { fsStoreError, takenError } from "../../src/store/fs-errors";

const nodeError = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
const url = "file:///data/store";

describe("fsStoreError", () => {
  it("maps a missing path to not found on a read and to a retryable vanished directory on a write", () => {
    expect(fsStoreError(nodeError("ENOENT"), url, "a/b", "read")).toBeInstanceOf(NotFoundError);
    const write = fsStoreError(nodeError("ENOENT"), url, "a/b", "write");
    expect(write).toBeInstanceOf(StoreUnavailableError);
    expect(write.message).toContain('key "a/b"');
  });

  it("names the key and what to do for permissions, read-only filesystems, long names and other codes", () => {
    expect(fsStoreError(nodeError("EACCES"), url, "k", "write")).toBeInstanceOf(StoreAccessDeniedError);
    expect(fsStoreError(nodeError("EROFS"), url, "k", "write")).toBeInstanceOf(StoreConfigError);
    expect(fsStoreError(nodeError("EROFS"), url, "k", "write").message).toMatch(/read-only filesystem; point it at a writable directory/);
    expect(fsStoreError(nodeError("ENAMETOOLONG"), url, "k", "write")).toBeInstanceOf(InvalidKeyError);
    expect(fsStoreError(nodeError("ENOTDIR"), url, "k", "write")).toBeInstanceOf(InvalidKeyError);
    expect(fsStoreError(nodeError("EIO"), url, "k", "read").message).toMatch(/Filesystem error EIO .*retry/);
    expect(fsStoreError(nodeError("EIO"), url, "k", "read")).toBeInstanceOf(StoreUnavailableError);
  });

  it("passes Tidemark errors and errors without a code through", () => {
    const own = new NotFoundError("k");
    expect(fsStoreError(own, url, "k", "read")).toBe(own);
    const plain = new Error("plain");
    expect(fsStoreError(plain, url, "k", "write")).toBe(plain);
  });
});

describe("takenError", () => {
  it("is AlreadyExists for an object and an invalid key for a directory of other objects", () => {
    expect(takenError("k", false)).toBeInstanceOf(AlreadyExistsError);
    expect(takenError("k", true)).toBeInstanceOf(InvalidKeyError);
  });
});
