import { deleteFragments } from "../src/intake/inbox-source";
import type { ActivityDeps } from "./deps";

/** Input of `deleteConsumedFragments`. */
export interface ConsumedFragments {
  dataset: string;
  /** Fragments the published version (or a compaction that changed nothing) consumed. */
  fragments: string[];
}

/** Push intake: deletes the inbox fragments a compaction consumed (SPEC §11: after the CAS; idempotent). */
export function inboxActivities(deps: ActivityDeps) {
  return {
    deleteConsumedFragments: ({ dataset, fragments }: ConsumedFragments): Promise<number> => deleteFragments(deps.store, dataset, fragments),
  };
}
