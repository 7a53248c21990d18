/** Patch ids of the ingest workflow: each marks commands added after histories were recorded without them. */
/**
 * Patch id of the commands added after the first recorded histories: the run's memo and the
 * `recordRunOutcome` activity. Histories without its marker replay without them.
 */
export const RUN_OUTCOME_PATCH = "tidemark-run-memo-and-outcome";

/**
 * Patch id of the commit-outcome rules: a re-plan publishes under a new version id, the schema and
 * projections of the definition are checked against the base, a failed publish call is decided from
 * the store, and cleanup after the commit never fails a published run.
 */
export const COMMIT_OUTCOME_PATCH = "tidemark-commit-outcome";

/**
 * Patch id of the engine's steps: fetch, normalize and delta run as one activity (`prepare`), events
 * and projections as another (`write`), so the data crosses an activity boundary once. The quick
 * reads (definition, pointer, the commit check, the holder's name) and the scratch cleanup after the
 * commit run as local activities, without a round trip through the server each; outcome counters go
 * through the `outcomes` sink instead of an activity; a run with no webhooks skips notify.
 * Compensations stay ordinary activities, so `tidemark cancel` reads them from the history. Histories
 * without its marker replay as they were recorded.
 */
export const ENGINE_STEPS_PATCH = "tidemark-engine-steps";

/**
 * Patch id of the push hand-over: a run refused because its push dataset's compaction is running
 * reads the definition and, for a push dataset, signals that compaction instead of failing.
 */
export const PUSH_HANDOVER_PATCH = "tidemark-push-handover";

/**
 * Patch id of the quick first workflow task: the definition and the pointer are read by two local
 * activities at once, and before `prepare` a third (`sourceUnchanged`) confirms an unchanged source
 * cheaply (a 304 to the recorded ETag, or a same-size file with the recorded hash), so the run ends
 * "unchanged" in its first workflow task. Histories without its marker replay without both.
 */
export const QUICK_UNCHANGED_PATCH = "tidemark-quick-unchanged";

/**
 * Patch id of the no-change compaction's deletion: the fragments of a compaction whose records
 * changed nothing are in no manifest, so the run deletes them with an activity retried until the
 * store takes it, and ends only then. Before it, a deletion given up after 3 attempts (store down)
 * left them unrecorded, and a version from another source published next could be reverted by their
 * second application.
 */
export const NO_CHANGE_CONSUME_PATCH = "tidemark-no-change-consume";

/**
 * Patch id of the re-plan through `prepare`: after a lost CAS, a run of the engine's steps fetches
 * and normalizes its source again with `prepare` on the new base (the normalized rows stay in the
 * worker's workspace, not in the run's scratch; a push compaction takes the fragments it recorded).
 * Histories without its marker re-plan with `computeDelta` over `runs/<v>/normalized.parquet`.
 */
export const REPLAN_PREPARE_PATCH = "tidemark-replan-prepare";

/**
 * Patch id of reading a definition in the published column order: a run whose definition lists
 * the published columns in another order writes, hashes and fingerprints them in the published
 * order. Histories without its marker used the definition's order.
 */
export const PUBLISHED_ORDER_PATCH = "tidemark-published-column-order";

/**
 * Patch id of the reader revisions in the read fingerprint (`READER_REVISIONS`): a dataset whose
 * format's reader was fixed is read again once. Histories without its marker compare fingerprints
 * without revisions, as they were recorded.
 */
export const READER_REVISIONS_PATCH = "tidemark-reader-revisions";

/**
 * Patch id of the commit check asked until it answers: a publish call that failed is decided from
 * the store by `checkPublished`, retried without a limit (every 30 s at most) instead of 20 times.
 * Before it, a store down for more than the 20 attempts (about 8 minutes) made the run report
 * failed, with no webhook, though its CAS had been applied. Used by ingest, optimize and repair.
 */
export const COMMIT_CHECK_PATCH = "tidemark-commit-check-until-answered";
