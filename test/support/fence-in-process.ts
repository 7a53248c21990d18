/**
 * Loads the network fence (./fence.cjs) into the current test process, for test files that call the
 * product in-process with addresses that must never be reached: import this module first. Refused
 * attempts are recorded in a temporary log that {@link fenceAttempts} reads, so the file can fail on them.
 */
import dns from "node:dns";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const log = join(mkdtempSync(join(tmpdir(), "tm-fence-")), "fence.log");
writeFileSync(log, "");
process.env.TIDEMARK_FENCE_LOG = log;
createRequire(__filename)("./fence.cjs");

/** Whether this process's `net` connect and `dns` functions are the fence's (checked without sending anything). */
export async function fenceLoaded(): Promise<boolean> {
  const esm = await import("node:dns/promises");
  return net.Socket.prototype.connect.name === "fencedConnect" && esm.lookup === dns.promises.lookup && dns.lookup.toString().includes("record(");
}

/** The attempts the fence refused in this process, one `kind target` string each. */
export function fenceAttempts(): string[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as { kind: string; target: string };
      return `${r.kind} ${r.target}`;
    });
}
