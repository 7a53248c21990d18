/** Every workflow the `tidemark` task queue runs. */
export { ingestDataset, progressQuery } from "./ingest";
export { verifyDataset } from "./verify";
export { collectGarbage } from "./gc";
