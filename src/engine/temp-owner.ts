/**
 * Which process owns a file or directory in the engine's temp directory (spill directories, task
 * workspaces, object-cache downloads): its name starts with `<pid>-<nonce>-`, the nonce random per
 * process. A worker killed mid-task leaves its files behind; the next engine to open removes those
 * whose owner is gone, so repeated kills never fill the disk.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pidAlive, PROCESS_NONCE } from "../process-identity";

/** This process's owner tag, `<pid>-<nonce>`. */
export const OWNER = `${process.pid}-${PROCESS_NONCE}`;

const TAGGED = /^(\d+)-([0-9a-f]{8})-/;

/**
 * Whether the owner of the tagged `name` is gone: its pid is dead, or it is this process's pid with
 * another nonce (an earlier process, e.g. PID 1 of a restarted container). Untagged names: false.
 */
export function ownerGone(name: string): boolean {
  const m = TAGGED.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  return pid === process.pid ? m[2] !== PROCESS_NONCE : !pidAlive(pid);
}

/** Removes the entries of `dir` whose owner is gone (a missing `dir` is fine); returns their names. */
export async function sweepGone(dir: string, pick: (name: string) => string = (name) => name): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const gone = names.filter((name) => ownerGone(pick(name)));
  await Promise.all(gone.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return gone;
}
