/**
 * The inbox backlog of the bench's `file://` store, read from the directory itself (not serve's
 * periodically refreshed view), and a bounded wait for it to drain before a scenario starts, so
 * each scenario's serve runs share the machine with compactions of that scenario's own records
 * only, not with leftovers of earlier scenarios.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";

/** Bytes and fragments in a dataset's inbox directory at one moment. */
export interface InboxSize {
  readonly mib: number;
  readonly fragments: number;
}

/** What a wait for the inbox to drain found. */
export interface DrainFigures {
  /** Backlog when the wait began. */
  readonly startMib: number;
  /** Backlog when the wait ended (0 when drained). */
  readonly endMib: number;
  readonly endFragments: number;
  readonly seconds: number;
  /** Whether the inbox was empty before the bound. */
  readonly drained: boolean;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Sums the fragments in `<storeDir>/datasets/<dataset>/inbox/` (temporary and lock files of the store skipped). */
export async function inboxSize(storeDir: string, dataset: string): Promise<InboxSize> {
  const dir = join(storeDir, "datasets", dataset, "inbox");
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { mib: 0, fragments: 0 };
    throw err;
  }
  let bytes = 0;
  let fragments = 0;
  for (const name of names) {
    if (name.startsWith(".") || name.endsWith(".tidemark-lock")) continue;
    const st = await fsp.stat(join(dir, name)).catch(() => null);
    if (!st?.isFile()) continue;
    bytes += st.size;
    fragments++;
  }
  return { mib: round1(bytes / 2 ** 20), fragments };
}

/** Polls the inbox every 500 ms until it is empty or `maxSeconds` passed. */
export async function drainInbox(storeDir: string, dataset: string, maxSeconds: number): Promise<DrainFigures> {
  const t0 = performance.now();
  const start = await inboxSize(storeDir, dataset);
  let now = start;
  while (now.fragments > 0 && performance.now() - t0 < maxSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    now = await inboxSize(storeDir, dataset);
  }
  return { startMib: start.mib, endMib: now.mib, endFragments: now.fragments, seconds: round1((performance.now() - t0) / 1000), drained: now.fragments === 0 };
}
