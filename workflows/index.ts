/** Every workflow the `tidemark` task queue runs. */
export { ingestDataset, progressQuery } from "./ingest";
