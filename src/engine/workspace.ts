import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { AlreadyExistsError, ConflictingObjectError } from "../errors";
import { FsObjectStore } from "../store/fs";
import type { ObjectStore, WriteMode } from "../store/types";
import { OWNER } from "./temp-owner";

/** Options of an upload from a workspace. */
export interface UploadOptions {
  /** The caller is done with the file: a store that can take it whole may (the path is gone after a successful upload). */
  readonly move?: boolean;
}

/** Files above this size (or above the store's multipart threshold, when lower) are streamed to the store; smaller ones go in one request. */
const STREAM_ABOVE = 8 * 1024 * 1024;

async function sha256Of(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * A task's local directory for the engine: objects of the store made readable as local files
 * (read in place on a `file://` store, downloaded otherwise), and files the engine wrote uploaded
 * back. Removed by {@link Workspace.close}.
 */
export class Workspace {
  private downloads = 0;

  private constructor(
    private readonly store: ObjectStore,
    /** The engine's temp directory the workspace lives in (shared by every task of the worker). */
    readonly tempDirectory: string,
    /** The workspace's own directory. */
    readonly dir: string,
  ) {}

  /** A new empty workspace under `tempDirectory`. */
  static async open(store: ObjectStore, tempDirectory: string): Promise<Workspace> {
    const dir = join(tempDirectory, "work", `${OWNER}-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    return new Workspace(store, tempDirectory, dir);
  }

  /** A path for a file the engine writes, inside the workspace. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** A local path holding the object `key`: the file itself on a `file://` store, else a downloaded copy. */
  async local(key: string): Promise<string> {
    if (this.store instanceof FsObjectStore) return join(this.store.root, ...key.split("/"));
    const path = this.path(`in-${++this.downloads}.bin`);
    const { stream } = await this.store.getStream(key);
    await pipeline(stream, createWriteStream(path));
    return path;
  }

  /** Writes `body` to a new file in the workspace and returns its path. */
  async save(body: Uint8Array): Promise<string> {
    const path = this.path(`in-${++this.downloads}.bin`);
    await writeFile(path, body);
    return path;
  }

  /**
   * Uploads `path` create-only to `key` and returns its size. A retry that finds the same bytes there
   * succeeds; other bytes throw {@link ConflictingObjectError} (nothing is ever written twice). With
   * `move`, a file of this workspace the caller is done with may be given to the store itself
   * ({@link ObjectStore.moveFile}: no copy on a `file://` store) and is gone afterwards.
   */
  async uploadOnce(path: string, key: string, { move = false }: UploadOptions = {}): Promise<number> {
    const { size } = await stat(path);
    try {
      await this.send(path, size, key, { kind: "create" }, move);
      return size;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    const existing = await this.store.head(key);
    if (existing.size !== size) throw new ConflictingObjectError(key);
    const { stream } = await this.store.getStream(key);
    if ((await sha256Of(stream)) !== (await sha256Of(createReadStream(path)))) throw new ConflictingObjectError(key);
    return size;
  }

  /** Uploads `path` to `key`, replacing what is there (a run's private scratch); returns its size. `move` as for {@link uploadOnce}. */
  async uploadScratch(path: string, key: string, { move = false }: UploadOptions = {}): Promise<number> {
    const { size } = await stat(path);
    await this.send(path, size, key, { kind: "overwrite" }, move);
    return size;
  }

  /**
   * A file of this workspace given to a store that takes files (`moveFile`), when the caller allows it;
   * else one request for a small file (read whole), a large one stored from its path where the store
   * can (`putFile`), else streamed.
   */
  private async send(path: string, size: number, key: string, mode: WriteMode, move: boolean): Promise<void> {
    if (move && this.store.moveFile && path.startsWith(this.dir + sep)) await this.store.moveFile(key, path, mode);
    else if (size <= Math.min(STREAM_ABOVE, this.store.multipartThreshold ?? STREAM_ABOVE)) await this.store.put(key, await readFile(path), mode);
    else if (this.store.putFile) await this.store.putFile(key, path, mode);
    else await this.store.putStream(key, createReadStream(path), mode);
  }

  /** Deletes the workspace directory. */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
