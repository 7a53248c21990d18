/**
 * Who a process is on this host, for files a process leaves behind (the `file://` store's lock
 * files, the engine's temp directories): its pid, whether that pid runs, when it started, and a
 * random nonce that tells this process from an earlier one given the same pid (PID 1 of a restarted
 * container).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/** Random per process: eight hex digits. */
export const PROCESS_NONCE = randomBytes(4).toString("hex");

/** Whether process `pid` runs on this host (EPERM: it does, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let bootId: string | null | undefined;

/** When process `pid` started, as `<boot id>:<start ticks>` from /proc; undefined where /proc is missing or the process is gone. */
export function processStart(pid: number): string | undefined {
  try {
    bootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return ticks ? `${bootId}:${ticks}` : undefined;
  } catch {
    bootId ??= null;
    return undefined;
  }
}
