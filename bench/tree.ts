import { spawnSync } from "node:child_process";

/**
 * The commit a benchmark measures, as its results file records it. A results file comes from one
 * run on one clean commit: with uncommitted changes this throws unless `allowDirty` (`--dirty`, a
 * trial), and then the string says so.
 */
export function benchTree(allowDirty: boolean): string {
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8" }).stdout.trim();
  const changes = git("status", "--porcelain", "--untracked-files=no");
  if (changes !== "" && !allowDirty) {
    throw new Error(`The work tree has uncommitted changes (${changes.split("\n").length} files); commit them so the results record the commit they measured, or pass --dirty for a trial run.`);
  }
  return `${git("rev-parse", "HEAD")}${changes !== "" ? " + uncommitted changes (a trial, not a result)" : " (clean)"}`;
}
