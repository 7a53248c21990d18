import { ApplicationFailure, proxyActivities } from "@temporalio/workflow";
import type { IngestActivities } from "../activities";
import type { LedgerVerifyResult } from "../src/ledger/invariants";
import { requireLedgerId } from "../src/ledger/ids";
import { DEFAULT_LEDGER } from "../src/ledger/payment";

const checker = proxyActivities<IngestActivities>({
  startToCloseTimeout: "30m",
  retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "30s", maximumAttempts: 5 },
});

/**
 * Checks a ledger (SPEC §12): folds every wallet's events and compares them with its head, and checks
 * money conservation, refunds against deductions and charges against refunds. Input `{ "ledger": "…" }`
 * (default ledger when omitted), so `temporal workflow start --type verifyLedger` needs no input.
 */
export async function verifyLedger(input?: { ledger?: string }): Promise<LedgerVerifyResult> {
  let ledger: string;
  try {
    ledger = requireLedgerId(input?.ledger ?? DEFAULT_LEDGER);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, "PaymentInputError");
  }
  return checker.checkLedgerConsistency.executeWithOptions({ summary: `fold every wallet of ledger ${ledger} and check heads, conservation, refunds and charges` }, [{ ledger }]);
}
