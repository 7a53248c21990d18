import {
  ActivityCancellationType,
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import { allDerivable, PUBLISH_ATTEMPT_MS, type RepairOutcome, type VerifyInput, type VerifyResult, verifyWorkflowId } from "../src/maintenance";
import { DATASET_ID_RE } from "../src/retry";
import { makeVersionId, planVersion } from "../src/version-id";
import { delegateTo } from "./delegate";
import { maintenanceCommit } from "./maintenance-commit";
import { Saga } from "./saga";

const retry = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 20 };
const quick = proxyActivities<IngestActivities>({ startToCloseTimeout: PUBLISH_ATTEMPT_MS, retry });
const long = proxyActivities<IngestActivities>({ startToCloseTimeout: "2h", heartbeatTimeout: "30s", retry, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

/** Patch id of the delegation of a repair started under another id to `tidemark/verify/<dataset>` (histories without it repair in place). */
export const VERIFY_REPAIR_DELEGATE_PATCH = "tidemark-verify-repair-delegate";

/** Rejects a malformed dataset id before any activity runs. */
export function requireDatasetId(dataset: unknown): string {
  if (typeof dataset !== "string" || !DATASET_ID_RE.test(dataset)) {
    throw ApplicationFailure.nonRetryable(
      `Dataset id ${JSON.stringify(dataset)} is invalid: it must be lowercase letters, digits, "_", "." or "-" (e.g. input {"dataset":"cb_series"}).`,
      "InvalidDatasetIdError",
    );
  }
  return dataset;
}

/**
 * Verifies the current version of a dataset (SPEC §5) and, with `repair`, rebuilds the index and
 * projections from the events as a new version published through CAS against the pointer read first.
 * A repair runs under `tidemark/verify/<dataset>` (a run started under another id — a Schedule —
 * delegates to it), the id gc checks before it sweeps, so gc never takes a repair's files for garbage.
 */
export async function verifyDataset(input: VerifyInput): Promise<VerifyResult> {
  const dataset = requireDatasetId(input?.dataset);
  if (input.repair && workflowInfo().workflowId !== verifyWorkflowId(dataset) && patched(VERIFY_REPAIR_DELEGATE_PATCH)) return delegate(dataset, input);
  const base = await quick.readBase.executeWithOptions({ summary: `read the current pointer of ${dataset}` }, [{ dataset }]).catch(() => null);
  const checked = await long.checkDataset.executeWithOptions({ summary: `verify every object, the index and projections of ${dataset}` }, [{ dataset }]);
  const result: VerifyResult = { dataset, version: checked.version, findings: checked.findings, remaining: checked.findings };
  if (!input.repair || checked.findings.length === 0) return result;
  if (!allDerivable(checked.findings) || !base || base.version !== checked.version) {
    const reason = base && base.version !== checked.version
      ? `the pointer moved to ${checked.version} while verifying; run verify again.`
      : "some findings concern objects that cannot be derived from the events (pointer, manifests, events, quarantine reports); restore those from a backup, then run verify --repair again.";
    return { ...result, repair: { status: "skipped", reason } };
  }
  const info = workflowInfo();
  const version = planVersion({ runVersion: makeVersionId(info.runStartTime, info.runId), runId: info.runId, parent: base.version, attempt: 1, now: new Date() });
  const saga = new Saga();
  let repair: RepairOutcome;
  try {
    saga.add("deleteRepairObjects", () => quick.deleteRepairObjects.executeWithOptions({ summary: `undo: delete repair objects of ${version}` }, [{ dataset, version, base: base.version }]));
    const rebuilt = await long.rebuildDerived.executeWithOptions({ summary: `rebuild the index and projections of ${dataset} from its events as ${version}` }, [{ dataset, version }]);
    saga.add("deleteVersionManifest", () => quick.deleteVersionManifest.executeWithOptions({ summary: `undo: delete manifest of ${version}` }, [{ dataset, version, base: base.version }]));
    const publishInput = { dataset, version, base, rebuilt, run: { workflow_id: info.workflowId, run_id: info.runId }, createdAt: new Date().toISOString() };
    const outcome = await maintenanceCommit(
      () => quick.publishRepair.executeWithOptions({ summary: `publish repair ${version} over ${base.version}` }, [publishInput]),
      { dataset, version, base: base.version },
    );
    if (outcome.status === "conflict") {
      await saga.compensate();
      repair = { status: "conflict", reason: `another writer published ${outcome.currentVersion} during the repair; nothing was changed — run verify again.` };
      return { ...result, repair };
    }
    saga.clear();
    repair = { status: "published", version };
  } catch (err) {
    const ran = await saga.compensate();
    log.info("repair compensations ran", { dataset, version, compensations: ran, cancelled: isCancellation(err) });
    throw err;
  }
  const after = await long.checkDataset.executeWithOptions({ summary: `verify ${dataset} again after repair ${version}` }, [{ dataset }]);
  return { ...result, repair, remaining: after.findings };
}

async function delegate(dataset: string, input: VerifyInput): Promise<VerifyResult> {
  const workflowId = verifyWorkflowId(dataset);
  return delegateTo(verifyDataset, workflowId, input, () => {
    throw ApplicationFailure.nonRetryable(
      `Dataset ${dataset} is already being verified by workflow ${workflowId}; wait for it with "temporal workflow describe --workflow-id ${workflowId}", then run verify --repair again.`,
      "VerifyBusyError",
    );
  });
}
