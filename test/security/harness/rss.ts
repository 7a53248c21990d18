import { readFileSync } from "node:fs";

/** A kB field of /proc/<pid>/status: VmRSS (resident now) or VmHWM (peak since the last reset through clear_refs). */
export function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? "")![1]);
}
