import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreUnavailableError } from "../errors.js";
import { errCode } from "./fs-io.js";
import { pidAlive, PROCESS_NONCE, processStart } from "../process-identity.js";

/** Name prefix of temporary files written next to their destination; listings hide them. */
export const TEMP_PREFIX = ".tmp-";
/** Suffix of the per-key lock file (`<key>.tidemark-lock`); listings hide it. */
export const LOCK_SUFFIX = ".tidemark-lock";
/** Suffix of the lock that serializes breaking a stale lock. */
export const BREAK_SUFFIX = ".break";

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  /** Random per process: tells this process from a later one given the same pid (PID 1 of a restarted container). */
  nonce?: string;
  /** The process's start (boot id and start time in clock ticks, from /proc), where the system has it. */
  started?: string;
}

const STARTED = processStart(process.pid);

/** A fresh temporary path in `dir`, named `.tmp-<random>`. */
export function tempPath(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${randomBytes(12).toString("hex")}`);
}

/** True when a file name is a temporary or lock file of this backend, not an object. */
export function isInternalName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name.endsWith(LOCK_SUFFIX) || name.endsWith(LOCK_SUFFIX + BREAK_SUFFIX);
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await fsp.link(from, to);
    return true;
  } catch (e) {
    if (errCode(e) === "EEXIST") return false;
    throw e;
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path, "utf8")) as Partial<LockOwner>;
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string" || typeof parsed.token !== "string") return null;
    return parsed as LockOwner;
  } catch (e) {
    if (errCode(e) === "ENOENT" || e instanceof SyntaxError) return null;
    throw e;
  }
}

/**
 * Whether a lock's owner is gone, judged on its own host only: a dead pid; our own pid without our
 * nonce (an earlier process that had our pid, e.g. PID 1 before a container restart); or a live pid
 * whose start differs from the one the owner recorded (the pid was given to another process).
 */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return owner.nonce !== PROCESS_NONCE;
  if (!pidAlive(owner.pid)) return true;
  const started = owner.started === undefined ? undefined : processStart(owner.pid);
  return started !== undefined && started !== owner.started;
}

/** Moves the lock aside and deletes it only if it still carries `staleToken`; otherwise puts it back. */
async function removeIfToken(path: string, staleToken: string): Promise<void> {
  const aside = tempPath(dirname(path));
  try {
    await fsp.rename(path, aside);
  } catch (e) {
    if (errCode(e) === "ENOENT") return;
    throw e;
  }
  try {
    const moved = await readOwner(aside);
    if (moved?.token !== staleToken) await tryLink(aside, path);
  } finally {
    await fsp.unlink(aside).catch(() => undefined);
  }
}

async function release(path: string, token: string): Promise<void> {
  const owner = await readOwner(path);
  if (owner?.token === token) await fsp.unlink(path).catch(() => undefined);
}

/**
 * Breaks `path` if it is still held by the dead `stale` owner. Breakers are serialized by
 * `<lock>.break`, so the lock cannot change hands between the staleness check and the rename
 * (a dead owner never releases); `mine` is a file carrying our own owner record.
 */
async function breakStale(path: string, stale: LockOwner, mine: string, token: string): Promise<void> {
  const breakPath = path + BREAK_SUFFIX;
  if (!(await tryLink(mine, breakPath))) {
    const breaker = await readOwner(breakPath);
    if (breaker && isStale(breaker)) await removeIfToken(breakPath, breaker.token);
    return;
  }
  try {
    const current = await readOwner(path);
    if (current?.token === stale.token) await removeIfToken(path, stale.token);
  } finally {
    await release(breakPath, token);
  }
}

/**
 * Runs `fn` while holding the lock file `path`, created atomically with `link()` from a
 * temporary file holding `{pid, host, token, nonce, started}` (so the lock is never seen empty).
 * Waits with jittered backoff while another holder exists; a lock whose owner is gone on this host
 * (see {@link isStale}) is broken. There is no time-based expiry: after `timeoutMs` of waiting on a live holder this
 * throws a retryable {@link StoreUnavailableError}. Only processes on one host can judge locks.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(16).toString("hex"), nonce: PROCESS_NONCE, ...(STARTED ? { started: STARTED } : {}) };
  const mine = tempPath(dirname(path));
  await fsp.writeFile(mine, JSON.stringify(owner), { flag: "wx" });
  try {
    const deadline = Date.now() + timeoutMs;
    let delayMs = 1;
    while (!(await tryLink(mine, path))) {
      const holder = await readOwner(path);
      if (holder && isStale(holder)) await breakStale(path, holder, mine, owner.token);
      if (Date.now() > deadline) {
        throw new StoreUnavailableError(
          `Timed out after ${timeoutMs} ms waiting for lock "${path}" held by ${JSON.stringify(holder)}; if that process is gone, delete the lock file.`,
        );
      }
      await sleep(delayMs * (0.5 + Math.random()));
      delayMs = Math.min(delayMs * 1.5, 25);
    }
  } finally {
    await fsp.unlink(mine).catch(() => undefined);
  }
  try {
    return await fn();
  } finally {
    await release(path, owner.token);
  }
}
