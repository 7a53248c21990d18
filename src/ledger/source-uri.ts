/**
 * Source URIs of the ledger's read models (SPEC §12): `ledger://<ledger>/events` and
 * `ledger://<ledger>/balances`, materialized as NDJSON by the fetch step; no other `ledger:` URI exists.
 */
import { LEDGER_ID_RE } from "./ids.js";

/** The two read models of a ledger. */
export const READ_MODELS = ["events", "balances"] as const;

/** One read model: every event, or one balance row per wallet. */
export type ReadModel = (typeof READ_MODELS)[number];

/** A parsed read-model source URI. */
export interface LedgerSource {
  ledger: string;
  model: ReadModel;
}

/** Whether a URI is in the `ledger:` scheme (valid or not). */
export function isLedgerUri(uri: string): boolean {
  return /^ledger:/i.test(uri);
}

/** Source URI of a ledger's read model. */
export function ledgerSourceUri(ledger: string, model: ReadModel): string {
  return `ledger://${ledger}/${model}`;
}

/**
 * Parses `ledger://<ledger>/events|balances`; for any other `ledger:` URI (only these fixed names
 * can be read) returns what is wrong, a fragment to follow the URI in a sentence.
 */
export function parseLedgerUri(uri: string): LedgerSource | string {
  const m = /^ledger:\/\/([^/?#]*)\/([^/?#]*)$/.exec(uri);
  const model = m?.[2] as ReadModel | undefined;
  if (!m || !LEDGER_ID_RE.test(m[1]) || !READ_MODELS.includes(model as ReadModel)) {
    return 'is not a ledger read model: use ledger://<ledger>/events or ledger://<ledger>/balances (a ledger id is lowercase letters, digits, "_", "." or "-")';
  }
  return { ledger: m[1], model: model as ReadModel };
}
