/**
 * Fragments a compaction sets aside (SPEC §11, README "Push intake"): inbox fragments DuckDB cannot
 * read with the dataset's types are copied to `quarantine/fragments/`, named in the version
 * manifest's `source.set_aside` and consumed like the applied ones, so one bad fragment never
 * blocks the inbox. Pure: error texts and lists in, decisions and messages out.
 */

/** One fragment a compaction did not apply, and why (manifest `source.set_aside`). */
export interface SetAsideFragment {
  readonly fragment: string;
  readonly reason: string;
}

/** Longest reason recorded: one sentence, so 4,000 set-aside fragments keep the manifest and the run's payloads under 1 MB. */
export const MAX_REASON_CHARS = 160;

/** DuckDB error classes that come from the data read, never from the machine (disk, memory, interruption). */
const DATA_ERROR = /^(Invalid Input|Conversion|Out of Range) Error: /;

/** Whether a failed read of fragment NDJSON failed on its data (so the same bytes always fail the same way). */
export function isDataError(message: string): boolean {
  return DATA_ERROR.test(message);
}

/**
 * The reason recorded for a fragment DuckDB refused: the error's first sentence without its class,
 * the worker's local file name or DuckDB's hints, with every quoted value and JSON object it shows
 * replaced by "…" (records never reach manifests, histories or logs; the dataset's own `columns`
 * names stay), cut to {@link MAX_REASON_CHARS}.
 */
export function setAsideReason(message: string, columns: readonly string[] = []): string {
  const names = new Set(columns);
  const text = message
    .replace(DATA_ERROR, "")
    .replace(/ in file "[^"]*",?/g, "")
    .replace(/\s*Try setting '.*$/s, "")
    .replace(/\s+/g, " ")
    .replace(/\{.*\}/g, "{…}")
    .replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (quoted: string, d?: string, s?: string) => (names.has(d ?? s ?? "") ? quoted : quoted[0] === '"' ? '"…"' : "'…'"))
    .trim()
    .replace(/[.\s]+$/, "");
  const cut = text.length > MAX_REASON_CHARS - 1 ? `${text.slice(0, MAX_REASON_CHARS - 2)}…` : text;
  return `${cut || "DuckDB could not read it"}.`;
}

/** The fragments of a plan to set aside, in plan order, given the error of each one that fails alone (`failures`, by fragment id); `columns` are the dataset's column names its reasons may show. */
export function fragmentsToSetAside(plan: readonly string[], failures: ReadonlyMap<string, string>, columns: readonly string[] = []): SetAsideFragment[] {
  return plan.filter((id) => failures.has(id)).map((fragment) => ({ fragment, reason: setAsideReason(failures.get(fragment)!, columns) }));
}

/** The one-line notice of a version's set-aside fragments: where they are, why, and what to do. */
export function setAsideMessage(setAside: readonly SetAsideFragment[], prefix: string): string {
  const n = setAside.length;
  const where = n === 1 ? `${prefix}${setAside[0].fragment}` : prefix;
  const first = setAside[0]?.reason.replace(/\.$/, "") ?? "";
  const more = n > 1 ? ` (first: ${setAside[0].fragment}; see source.set_aside in the version manifest for all)` : "";
  return `${n} fragment${n === 1 ? "" : "s"} set aside to ${where}: ${first}${more}; fix and re-push their records.`;
}

/** The `setAside` of a compaction's result: how many fragments, the prefix their copies are under, and the notice. */
export function setAsideNotice(setAside: readonly SetAsideFragment[], prefix: string): { fragments: number; prefix: string; message: string } {
  return { fragments: setAside.length, prefix, message: setAsideMessage(setAside, prefix) };
}
