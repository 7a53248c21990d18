import { baseActivities } from "./base";
import { compensationActivities } from "./compensations";
import type { ActivityDeps } from "./deps";
import { gcActivities } from "./gc";
import { inboxActivities } from "./inbox";
import { instrumentActivities } from "./instrument";
import { prepareActivities } from "./prepare";
import { notifyActivities } from "./notify";
import { optimizeActivities } from "./optimize";
import { outcomeActivities } from "./outcome";
import { paymentActivities } from "./payments";
import { publishActivities } from "./publish";
import { repairActivities } from "./repair";
import { revalidateActivities } from "./revalidate";
import { stepActivities } from "./steps";
import { verifyActivities } from "./verify";
import { writeActivities } from "./write";

export type { ActivityDeps } from "./deps";
export type { RunOutcome } from "./outcome";

/** Every activity of Tidemark, built from injected dependencies (only the worker bootstrap creates clients). */
export function createActivities(deps: ActivityDeps) {
  return instrumentActivities({
    ...baseActivities(deps),
    ...prepareActivities(deps),
    ...stepActivities(deps),
    ...revalidateActivities(deps),
    ...writeActivities(deps),
    ...publishActivities(deps),
    ...notifyActivities(deps),
    ...outcomeActivities(deps),
    ...compensationActivities(deps),
    ...verifyActivities(deps),
    ...repairActivities(deps),
    ...gcActivities(deps),
    ...inboxActivities(deps),
    ...optimizeActivities(deps),
    ...paymentActivities(deps),
  }, deps.metrics, deps.faults);
}

/** The activity interface workflows proxy (`import type` only). */
export type IngestActivities = ReturnType<typeof createActivities>;
