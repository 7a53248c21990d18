/** Staging a push dataset's inbox as a compaction's source (SPEC §11), for the `prepare` activity. */
import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import type { FetchedSource } from "../contracts.js";
import { DatasetLayout } from "../layout.js";
import { parseVersionManifest } from "../manifest/schema.js";
import { UnsupportedSourceError } from "../sources/errors.js";
import type { ObjectStore } from "../store/types.js";
import { AlreadyExistsError, BrokenChainError, NotFoundError } from "../errors.js";
import { COMPACTION_BOUNDS, CompactionPlanError } from "./compaction-plan.js";
import { deleteFragments, openInboxSource } from "./inbox-source.js";

/**
 * The fragments the last compaction on the chain consumed: the only ones a crash can have left in
 * the inbox (every compaction deletes its base's leftovers before it publishes). Versions that are
 * not compactions (optimize, repair, an ingest with --source) are walked past, however many: stopping
 * early would apply the leftovers again.
 */
export async function lastCompactionFragments(store: ObjectStore, dataset: string, manifest: string): Promise<string[]> {
  const layout = new DatasetLayout(dataset);
  let path: string | null = manifest;
  const seen = new Set<string>();
  while (path !== null) {
    if (seen.has(path)) throw new BrokenChainError(`The version chain of ${dataset} loops at ${path}; run "tidemark verify ${dataset}".`);
    seen.add(path);
    const m = parseVersionManifest((await store.get(layout.key(path))).body, `${dataset}/${path}`);
    if (m.source.fragments !== undefined || m.source.uri === `push:${dataset}`) return m.source.fragments ?? [];
    path = m.parent_version === null ? null : layout.versionManifest(m.parent_version);
  }
  return [];
}

/** Options of {@link stageInbox}. */
export interface StageOptions {
  /**
   * Where the run records the fragments it applies (create-only, before reading them): a retry of the
   * run, or an attempt racing it, finds the record and applies exactly those, so every attempt
   * computes the same version from the same records, whatever arrived in the inbox since.
   */
  planKey?: string;
  /** Hears how many fragments the last compaction consumed and left behind were deleted. */
  onLeftovers?: (n: number) => void;
}

/** The fragments an earlier attempt of the run recorded at `key`, or undefined when none did. */
async function readFragmentPlan(store: ObjectStore, key: string): Promise<string[] | undefined> {
  let body: Uint8Array;
  try {
    body = (await store.get(key)).body;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const parsed = JSON.parse(Buffer.from(body).toString("utf8")) as { fragments?: unknown };
  if (!Array.isArray(parsed.fragments) || !parsed.fragments.every((f): f is string => typeof f === "string")) {
    throw new CompactionPlanError(`The compaction plan ${key} is not a list of fragment ids; delete it and start the compaction again.`);
  }
  return parsed.fragments;
}

/**
 * A compaction's source: the inbox fragments the last compaction did not consume, concatenated in
 * fragment order into one NDJSON stream handed to `write` (a local file of the worker, or the run's
 * `source` object), with its sha256 and the fragment list. Fragments the last compaction consumed
 * and a crash left behind are deleted first (`onLeftovers` hears how many); they are never applied
 * again.
 */
export async function stageInbox(
  store: ObjectStore,
  dataset: string,
  uri: string,
  baseManifest: string | undefined,
  write: (stream: Readable) => Promise<unknown>,
  signal: AbortSignal | undefined,
  options: StageOptions = {},
): Promise<Omit<FetchedSource, "key">> {
  if (uri !== `push:${dataset}`) throw new UnsupportedSourceError(`Source ${uri.slice(0, 200)} is another dataset's inbox; a push dataset compacts only its own inbox (push:${dataset}).`);
  const consumed = baseManifest ? await lastCompactionFragments(store, dataset, baseManifest) : [];
  const { planKey, onLeftovers } = options;
  const recorded = planKey ? await readFragmentPlan(store, planKey) : undefined;
  let opened = await openInboxSource(store, dataset, consumed, signal, COMPACTION_BOUNDS, recorded);
  if (planKey && !recorded && opened.plan.take.length > 0) {
    try {
      await store.put(planKey, JSON.stringify({ fragments: opened.plan.take.map((e) => e.id) }), { kind: "create" });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      opened.stream.destroy();
      opened = await openInboxSource(store, dataset, consumed, signal, COMPACTION_BOUNDS, await readFragmentPlan(store, planKey));
    }
  }
  if (opened.plan.leftovers.length > 0) {
    await deleteFragments(store, dataset, opened.plan.leftovers);
    onLeftovers?.(opened.plan.leftovers.length);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  opened.stream.on("error", (err) => meter.destroy(err));
  await write(opened.stream.pipe(meter));
  return { uri, bytes, sha256: hash.digest("hex"), etag: null, fragments: opened.plan.take.map((e) => e.id) };
}
