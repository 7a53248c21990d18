import { constants as fsConstants, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { InvalidKeyError } from "../errors.js";
import { takenError } from "./fs-errors.js";
import { errCode, fsyncDir, statOrNull } from "./fs-io.js";

/** A copy into a new temporary file: never over an existing one, a reflink where the filesystem has them. */
const COPY_FLAGS = fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE;

/** Opens a new temporary file `tmp` in `dir`, creating `dir` (durably) only when it is missing. */
export async function openTemp(key: string, dir: string, tmp: string): Promise<FileHandle> {
  try {
    return await fsp.open(tmp, "wx");
  } catch (e) {
    if (!isMissingDir(e)) throw e;
  }
  await ensureDir(key, dir);
  return fsp.open(tmp, "wx");
}

/** Copies the local file `source` to the temporary file `tmp` in the kernel (a reflink where the filesystem has them). */
export function copyTemp(key: string, dir: string, tmp: string, source: string): Promise<void> {
  return placeTemp(key, dir, source, () => fsp.copyFile(source, tmp, COPY_FLAGS));
}

/** Links the local file `source` as the temporary file `tmp`, or copies it from another filesystem. */
export function linkTemp(key: string, dir: string, tmp: string, source: string): Promise<void> {
  return placeTemp(key, dir, source, () =>
    fsp.link(source, tmp).catch((e: unknown) => (errCode(e) === "EXDEV" || errCode(e) === "EPERM" ? fsp.copyFile(source, tmp, COPY_FLAGS) : Promise.reject(e))),
  );
}

/** Links the temporary file `tmp` as `path`, the create-only publish: a taken name fails with the store's typed error. */
export async function linkCreate(key: string, tmp: string, path: string): Promise<void> {
  try {
    await fsp.link(tmp, path);
  } catch (e) {
    if (errCode(e) !== "EEXIST") throw e;
    const st = await fsp.lstat(path).catch(() => null);
    throw takenError(key, st?.isDirectory() ?? false);
  }
}

/** Creates `dir` and fsyncs the parents of every directory it had to create. */
export async function ensureDir(key: string, dir: string): Promise<void> {
  let first: string | undefined;
  try {
    first = await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    if (errCode(e) === "EEXIST" || errCode(e) === "ENOTDIR") {
      throw new InvalidKeyError(key, `Object key "${key}" has a parent path that is an existing object on the filesystem backend.`);
    }
    throw e;
  }
  if (first === undefined) return;
  for (let p = dir; ; p = dirname(p)) {
    await fsyncDir(dirname(p));
    if (p === first || dirname(p) === p) break;
  }
}

/** Runs `place` (which puts `source` into the target directory `dir`), creating `dir` and running it again when it is missing; a missing `source` is named. */
async function placeTemp(key: string, dir: string, source: string, place: () => Promise<void>): Promise<void> {
  try {
    return await place();
  } catch (e) {
    if (!isMissingDir(e)) throw e;
    if (!(await statOrNull(source))) throw new Error(`The local file ${source} to store as "${key}" is missing.`, { cause: e });
  }
  await ensureDir(key, dir);
  await place();
}

function isMissingDir(e: unknown): boolean {
  return errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR";
}
