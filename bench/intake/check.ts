/**
 * Checks a load generator's acknowledgement logs against the inbox fragments of a `file://`
 * store: every acknowledged id must be in the fragment its acknowledgement named, exactly once.
 */
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** What the check found. */
export interface AckCheck {
  /** Acknowledged records in the logs. */
  readonly acknowledged: number;
  /** Records in the fragments. */
  readonly stored: number;
  readonly fragments: number;
  /** Acknowledged ids not in any fragment. */
  readonly missing: number;
  /** Acknowledged ids found in another fragment than the acknowledgement named. */
  readonly elsewhere: number;
  /** Ids stored more than once. */
  readonly duplicated: number;
  /** Up to 5 examples of problems. */
  readonly examples: string[];
}

/** Reads every fragment of `dataset` under the store directory `storeDir` and checks the logs against them. */
export async function checkAcks(storeDir: string, dataset: string, logPaths: readonly string[]): Promise<AckCheck> {
  const inbox = join(storeDir, "datasets", dataset, "inbox");
  const where = new Map<string, string>();
  let stored = 0;
  let duplicated = 0;
  let fragments = 0;
  const examples: string[] = [];
  const note = (s: string) => examples.length < 5 && examples.push(s);
  let names: string[] = [];
  try {
    names = readdirSync(inbox).filter((n) => !n.startsWith("."));
  } catch {
    names = [];
  }
  for (const name of names) {
    fragments++;
    for (const line of readFileSync(join(inbox, name), "utf8").split("\n")) {
      if (line === "") continue;
      const id = (JSON.parse(line) as { id: string }).id;
      stored++;
      if (where.has(id)) {
        duplicated++;
        note(`${id} stored in ${where.get(id)} and ${name}`);
      } else where.set(id, name);
    }
  }
  let acknowledged = 0;
  let missing = 0;
  let elsewhere = 0;
  for (const path of logPaths) {
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (line === "") continue;
      const ack = JSON.parse(line) as { id: string; fragment: string };
      acknowledged++;
      const at = where.get(ack.id);
      if (at === undefined) {
        missing++;
        note(`${ack.id} acknowledged in ${ack.fragment} but in no fragment`);
      } else if (at !== ack.fragment) {
        elsewhere++;
        note(`${ack.id} acknowledged in ${ack.fragment} but stored in ${at}`);
      }
    }
  }
  return { acknowledged, stored, fragments, missing, elsewhere, duplicated, examples };
}
