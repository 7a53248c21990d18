import { ApplicationFailure, proxyActivities } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import { validateStuckInput, type StuckPayment, type StuckPaymentsInput } from "../src/ledger/payment";

const reporter = proxyActivities<IngestActivities>({
  startToCloseTimeout: "5m",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 5 },
});

/**
 * Reports payments not terminal after `stuck_after` (default 5 min): one log line each on the worker,
 * an optional webhook, and the list as the result. Meant to run from a Temporal Schedule or
 * `temporal workflow start --type detectStuckPayments` (input optional).
 */
export async function detectStuckPayments(input?: StuckPaymentsInput): Promise<StuckPayment[]> {
  let checked;
  try {
    checked = validateStuckInput(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, "PaymentInputError");
  }
  return reporter.reportStuckPayments.executeWithOptions({ summary: `list payments running longer than ${checked.stuckAfterMs} ms${checked.webhookUrl ? " and post them to the webhook" : ""}` }, [checked]);
}
