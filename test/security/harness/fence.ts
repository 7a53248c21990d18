import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FENCE = join(__dirname, "..", "..", "support", "fence.cjs");

/** One refused attempt the fence recorded. */
export interface FenceRecord {
  pid: number;
  kind: string;
  target: string;
}

/**
 * `env` with the network fence preloaded (after `before`, which only the fence's own test uses) and
 * its log in `dir`/fence.log.
 */
export function fenceEnv(dir: string, env: NodeJS.ProcessEnv, before: string[] = []): NodeJS.ProcessEnv {
  const log = join(dir, "fence.log");
  if (!existsSync(log)) writeFileSync(log, "");
  const requires = [...before, FENCE].map((f) => `--require ${f}`).join(" ");
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} ${requires}`.trim(), TIDEMARK_FENCE_LOG: log };
}

/** What the fence refused in processes started with {@link fenceEnv}(`dir`). */
export function fenceRecords(dir: string): FenceRecord[] {
  return readFileSync(join(dir, "fence.log"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as FenceRecord);
}
