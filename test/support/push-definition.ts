import { parseDefinition } from "../../src/definition";
import type { DatasetDefinition } from "../../src/definition/schema";

/** The smallest push dataset: key `id`, partitioned by timestamp `at`. */
export function pushDefinition(id = "clicks"): DatasetDefinition {
  return parseDefinition(
    `id: ${id}
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
  key: [id]
  partition_by: at
`,
    `${id}.yaml`,
  );
}
