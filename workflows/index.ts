/** Every workflow the `tidemark` task queue runs. */
export { ingestDataset, progressQuery } from "./ingest";
export { verifyDataset } from "./verify";
export { collectGarbage } from "./gc";
export { optimizeDataset } from "./optimize";
export { payment, statusQuery, resolveUpdate } from "./payment";
export { verifyLedger } from "./verify-ledger";
export { detectStuckPayments } from "./stuck-payments";
