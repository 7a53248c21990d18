/** The series dataset most tests ingest: a CSV keyed by (series_id, obs_date), partitioned by month. */
export function seriesDefinitionYaml(options: { id: string; uri: string; mode: "snapshot" | "upsert"; notifyUrl?: string }): string {
  return [
    `id: ${options.id}`,
    `source: { uri: "${options.uri}", format: csv }`,
    `mode: ${options.mode}`,
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    "    - { name: value, type: double }",
    "  key: [series_id, obs_date]",
    "  partition_by: obs_date",
    ...(options.notifyUrl === undefined ? [] : ["notify:", `  - { url: "${options.notifyUrl}" }`]),
    "",
  ].join("\n");
}

/** A minimal push dataset (SPEC §11): records keyed by `id`, partitioned by their `at` timestamp. */
export function pushDefinitionYaml(id: string): string {
  return [
    `id: ${id}`,
    "source: { push: {} }",
    "schema:",
    "  columns:",
    "    - { name: id, type: string }",
    "    - { name: at, type: timestamp }",
    "    - { name: n, type: int }",
    "  key: [id]",
    "  partition_by: at",
    "",
  ].join("\n");
}
