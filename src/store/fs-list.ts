import { promises as fsp, type Dirent } from "node:fs";
import { join } from "node:path";
import { errCode, infoOf, statOrNull } from "./fs-io.js";
import { isInternalName, TEMP_PREFIX } from "./fs-lock.js";
import { compareKeys } from "./keys.js";
import type { AbandonedWrite, ObjectInfo } from "./types.js";

/** Maps a Node error of reading the directory of key prefix `keyBase` to the store's typed error. */
export type ReadErrorMap = (e: unknown, keyBase: string) => Error;

/** The entries of `dir`, none when it is missing or not a directory. */
async function entriesOf(dir: string, keyBase: string, mapError: ReadErrorMap): Promise<Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return [];
    throw mapError(e, keyBase);
  }
}

/** Options of {@link walkObjects}. */
export interface WalkOptions {
  /** Key of `dir` itself (`""` for the root, else ending in `/`). */
  keyBase: string;
  /** Names in `dir` must start with it (the last segment of a listed prefix). */
  namePrefix: string;
  /** Entries stat'ed at once. */
  pageSize: number;
  /** Only keys after this one. */
  startAfter?: string;
  mapError: ReadErrorMap;
}

/** The objects under directory `dir` in key order (a directory `a/` sorts as its name plus `/`), internal files hidden. */
export async function* walkObjects(dir: string, options: WalkOptions): AsyncGenerator<ObjectInfo> {
  const { keyBase, namePrefix, pageSize, startAfter } = options;
  const entries = await entriesOf(dir, keyBase, options.mapError);
  const sortName = (d: Dirent) => (d.isDirectory() ? d.name + "/" : d.name);
  const wanted = entries
    .filter((d) => d.name.startsWith(namePrefix) && (d.isDirectory() || (d.isFile() && !isInternalName(d.name) && (startAfter === undefined || compareKeys(keyBase + d.name, startAfter) > 0))))
    .sort((a, b) => compareKeys(sortName(a), sortName(b)));
  let batch: Dirent[] = [];
  const flush = async () => {
    const stats = await Promise.all(batch.map((d) => statOrNull(join(dir, d.name))));
    const infos = batch.flatMap((d, i) => (stats[i] ? [infoOf(keyBase + d.name, stats[i])] : []));
    batch = [];
    return infos;
  };
  for (const entry of wanted) {
    if (entry.isDirectory()) {
      yield* await flush();
      yield* walkObjects(join(dir, entry.name), { ...options, keyBase: `${keyBase}${entry.name}/`, namePrefix: "" });
    } else {
      batch.push(entry);
      if (batch.length >= pageSize) yield* await flush();
    }
  }
  yield* await flush();
}

/** Temporary files under directory `dir` (key prefix `keyBase`) last modified before `before`; removed unless `dryRun`. */
export async function sweepTemps(dir: string, keyBase: string, before: Date, dryRun: boolean, mapError: ReadErrorMap): Promise<AbandonedWrite[]> {
  const found: AbandonedWrite[] = [];
  for (const entry of await entriesOf(dir, keyBase, mapError)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sweepTemps(path, `${keyBase}${entry.name}/`, before, dryRun, mapError)));
    else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
      const stat = await statOrNull(path);
      if (!stat || Number(stat.mtimeMs) >= before.getTime()) continue;
      found.push({ key: keyBase + entry.name, size: Number(stat.size) });
      if (!dryRun) await fsp.unlink(path).catch((e: unknown) => (errCode(e) === "ENOENT" ? undefined : Promise.reject(e)));
    }
  }
  return found;
}
