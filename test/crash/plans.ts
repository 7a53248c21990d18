import type { KillPlan } from "../support/crash-workers";

/** The activities (and local activities: resolveDefinition, readBase, deleteRunScratch) of a successful ingest in the order they run, and whether each writes to the store. */
export const INGEST_ACTIVITIES: readonly { step: string; writes: boolean }[] = [
  { step: "resolveDefinition", writes: false },
  { step: "readBase", writes: false },
  { step: "prepare", writes: true },
  { step: "write", writes: true },
  { step: "publish", writes: true },
  { step: "deleteRunScratch", writes: true },
  { step: "notify", writes: false },
];

/**
 * One kill at every step boundary of an ingest, in run order: `<step>:start`, then (writing steps)
 * right after its first store write, then `publish:before-cas` for publish, then `<step>:end`.
 */
export function boundaryPlans(): KillPlan[] {
  const plans: KillPlan[] = [];
  for (const { step, writes } of INGEST_ACTIVITIES) {
    plans.push({ kind: "point", point: `${step}:start` });
    if (writes) plans.push({ kind: "write", step, n: 1, phase: "done" });
    if (step === "publish") plans.push({ kind: "point", point: "publish:before-cas" });
    plans.push({ kind: "point", point: `${step}:end` });
  }
  return plans;
}

/** The seeded PRNG a failing random-kill run is replayed from. */
export { seededRandom } from "../support/random";
