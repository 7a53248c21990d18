import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { TidemarkError } from "../errors";
import { FsObjectStore } from "../store/fs";
import type { ObjectStore } from "../store/types";
import { OWNER } from "./temp-owner";

/** Default size of the worker's cache of immutable objects (`TIDEMARK_ENGINE_CACHE`). */
export const DEFAULT_OBJECT_CACHE = 2 * 1024 ** 3;

/** `TIDEMARK_ENGINE_CACHE` is malformed (retried: fixing the worker's environment fixes the run). */
export class ObjectCacheSettingsError extends TidemarkError {
  override readonly retryable = true;
}

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/** Bytes of `TIDEMARK_ENGINE_CACHE` (e.g. `2GiB`; `0` turns the cache off), default {@link DEFAULT_OBJECT_CACHE}. */
export function objectCacheBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TIDEMARK_ENGINE_CACHE?.trim();
  if (!raw) return DEFAULT_OBJECT_CACHE;
  if (raw === "0") return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(raw);
  if (!m) throw new ObjectCacheSettingsError(`TIDEMARK_ENGINE_CACHE=${JSON.stringify(raw)} is not a size; set it like "2GiB", or "0" to turn the cache off.`);
  return Math.floor(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

interface Entry {
  etag: string;
  size: number;
}

/**
 * A worker's local copies of immutable store objects (the key index's files: create-only, never
 * rewritten with other bytes, SPEC §2), so a run on an S3 store does not download the same base index
 * again for every version. An object is served from the cache only while the store's etag and size
 * still match (one HEAD); a copy is handed out as a hard link in the caller's directory, so evicting
 * it never disturbs a run reading it. The least recently used copies go once the cache passes its size.
 * On a `file://` store objects are read in place and nothing is cached.
 */
export class ObjectCache {
  private readonly dir: string;

  constructor(
    private readonly store: ObjectStore,
    root: string,
    private readonly maxBytes: number,
  ) {
    this.dir = join(root, "objects");
  }

  /** A local path holding `key`: the file itself on a `file://` store, else a link or download named `into`. */
  async local(key: string, into: string): Promise<string> {
    if (this.store instanceof FsObjectStore) return join(this.store.root, ...key.split("/"));
    if (this.maxBytes <= 0) return this.download(key, into);
    await mkdir(this.dir, { recursive: true });
    const name = createHash("sha256").update(key).digest("hex");
    const data = join(this.dir, `${name}.bin`);
    const meta = join(this.dir, `${name}.json`);
    const [cached, info] = await Promise.all([readEntry(meta), this.store.head(key)]);
    if (cached && cached.etag === info.etag && cached.size === info.size && (await sizeOf(data)) === info.size) {
      const now = new Date();
      const linked = await utimes(data, now, now).then(() => place(data, into)).then(() => true, () => false);
      if (linked) return into;
    }
    const staged = join(this.dir, `${name}.${OWNER}-${randomUUID()}.part`);
    try {
      const got = await this.store.getStream(key);
      await pipeline(got.stream, createWriteStream(staged));
      await rename(staged, data);
      await writeFile(meta, JSON.stringify({ etag: got.etag, size: got.size } satisfies Entry));
    } finally {
      await rm(staged, { force: true });
    }
    await place(data, into);
    await this.evict();
    return into;
  }

  private async download(key: string, into: string): Promise<string> {
    const { stream } = await this.store.getStream(key);
    await pipeline(stream, createWriteStream(into));
    return into;
  }

  /** Removes the least recently used copies until the cache holds at most its size. */
  private async evict(): Promise<void> {
    const copies: { name: string; size: number; used: number }[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(".bin")) continue;
      const s = await stat(join(this.dir, name)).catch(() => null);
      if (s) copies.push({ name, size: s.size, used: s.mtimeMs });
    }
    let total = copies.reduce((a, c) => a + c.size, 0);
    copies.sort((a, b) => a.used - b.used);
    for (const c of copies) {
      if (total <= this.maxBytes) break;
      const base = c.name.slice(0, -".bin".length);
      await rm(join(this.dir, `${base}.json`), { force: true });
      await rm(join(this.dir, c.name), { force: true });
      total -= c.size;
    }
  }
}

async function readEntry(path: string): Promise<Entry | null> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<Entry>;
    return typeof parsed.etag === "string" && typeof parsed.size === "number" ? { etag: parsed.etag, size: parsed.size } : null;
  } catch {
    return null;
  }
}

/** A hard link to `data` at `into`, or a copy where links are not possible (another file system). */
async function place(data: string, into: string): Promise<void> {
  await link(data, into).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== "EXDEV" && err.code !== "EPERM") throw err;
    await copyFile(data, into);
  });
}

async function sizeOf(path: string): Promise<number | null> {
  return stat(path).then((s) => s.size, () => null);
}
