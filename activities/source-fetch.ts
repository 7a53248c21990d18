/** Fetching a run's source (a file, a URL, an inbox, a ledger read model) into a sink, hashed on the way (a helper of the activity modules). */
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { stat } from "node:fs/promises";
import { type Readable, Transform } from "node:stream";
import type { FetchedSource } from "../src/contracts";
import { expandEnvReferences } from "../src/config/env-refs";
import { count, overLimit } from "../src/formats/limits";
import { DatasetLayout } from "../src/layout";
import { openLedgerSource } from "../src/ledger/read-model-source";
import { isLedgerUri } from "../src/ledger/source-uri";
import { checkFileSource, sourcePolicyFromEnv } from "../src/sources/allow";
import { SourceChangedError } from "../src/sources/errors";
import { fileValidator, sameFileState } from "../src/sources/file-validator";
import { filesystemType, isLocalFilesystem } from "../src/sources/local-filesystem";
import { ingestLimitsFromEnv, LIMIT_VARS } from "../src/sources/limits";
import { localSourcePath, openSource, openSourceIfChanged, redactUri } from "../src/sources/open";
import { revalidationEtag } from "../src/sources/validator";
import { hashFile } from "../src/sources/hash-file";
import { isPushUri } from "../src/intake/inbox-source";
import { stageInbox } from "../src/intake/inbox-stage";
import { recordedSource } from "../src/manifest/read";
import type { ActivityDeps } from "./deps";
import { activityContext } from "./heartbeat";
import { SCRATCH } from "./io";

/** Input of `fetchSource`. */
export interface FetchSourceInput {
  dataset: string;
  version: string;
  uri: string;
  /**
   * The current version's source sha256: a local file with this hash is not copied at all, nor an
   * `https://`/`s3://` source whose origin confirms the strong ETag the base manifest recorded with this
   * hash (a 304 to `If-None-Match`, see {@link revalidationEtag}); the run ends "unchanged".
   */
  unchangedIf?: string;
  /** The base version's manifest (push datasets: its `source.fragments` are consumed and never applied again; others: its recorded source). */
  baseManifest?: string;
}

/** Where a fetch puts the source's bytes: the run's `source` object, or a file in the worker's workspace. */
export type SourceSink = (stream: Readable) => Promise<unknown>;

/**
 * Streams the source (or a push dataset's inbox, or a ledger read model) into `sink`, computing its
 * sha256 on the way; a `file://` source whose hash is `unchangedIf` and a remote one whose origin
 * confirms the recorded ETag are not copied at all.
 */
export async function fetchInto(deps: ActivityDeps, input: FetchSourceInput, sink: SourceSink, signal: AbortSignal | undefined, note: (details: unknown) => void): Promise<Omit<FetchedSource, "key">> {
  const { dataset, uri, unchangedIf, baseManifest } = input;
  const sources = { ...deps.sources, policy: deps.sources?.policy ?? sourcePolicyFromEnv(deps.env ?? process.env, { datasetsDir: deps.datasetsDir, storeUrl: deps.store.url }) };
  const maxBytes = ingestLimitsFromEnv(deps.env ?? process.env).sourceBytes;
  const resolved = expandEnvReferences(uri, deps.env ?? process.env, { required: true, where: `Source ${redactUri(uri)} of ${dataset}` });
  const local = localSourcePath(resolved);
  const localPath = local === null ? null : await checkFileSource(redactUri(resolved), local, sources.policy);
  if (unchangedIf && localPath) {
    const local = await hashFile(localPath, maxBytes, signal).catch(() => null);
    if (local?.sha256 === unchangedIf) return { uri: redactUri(uri), bytes: local.bytes, sha256: local.sha256, etag: null };
  }
  if (isPushUri(resolved)) {
    const layout = new DatasetLayout(dataset);
    return stageInbox(deps.store, dataset, resolved, baseManifest, sink, signal, {
      planKey: layout.key(layout.runs(input.version) + SCRATCH.fragments),
      onLeftovers: (n) => activityContext()?.log.info("deleted fragments the base version consumed", { dataset, fragments: n }),
    });
  }
  const recorded = unchangedIf && baseManifest && /^(https?|s3):/.test(resolved) ? await recordedSource(deps, dataset, baseManifest) : null;
  const etag = revalidationEtag(uri, resolved, recorded, unchangedIf);
  const opening = { ...sources, signal, attempt: activityContext()?.info.attempt };
  const before = localPath ? await localStat(localPath) : null;
  const vouches = localPath !== null && before !== null && isLocalFilesystem((await (sources.filesystemType ?? filesystemType)(localPath)) ?? -1);
  const opened = isLedgerUri(resolved) ? await openLedgerSource(deps.store, resolved, signal) : etag !== null ? await openSourceIfChanged(resolved, etag, opening) : await openSource(resolved, opening);
  if (opened === null && recorded) return { uri: redactUri(uri), bytes: recorded.bytes, sha256: recorded.sha256, etag };
  if (opened === null) throw new Error(`Source ${redactUri(uri)} answered "not modified" to a request without a recorded version`);
  const tooBig = (what: string) => overLimit(`Source ${redactUri(uri)}`, what, LIMIT_VARS.sourceBytes);
  if (opened.size !== null && opened.size > maxBytes) {
    opened.stream.destroy();
    throw tooBig(`is ${count(opened.size)} bytes (at most ${count(maxBytes)})`);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(tooBig(`is more than ${count(maxBytes)} bytes`));
      hash.update(chunk);
      note({ bytes });
      done(null, chunk);
    },
  });
  opened.stream.on("error", (err) => meter.destroy(err));
  meter.on("error", () => opened.stream.destroy());
  signal?.addEventListener("abort", () => opened.stream.destroy(new Error("fetch cancelled")), { once: true });
  await sink(opened.stream.pipe(meter));
  if (localPath && before) await requireUnchangedFile(localPath, before.st, redactUri(uri));
  return { uri: redactUri(uri), bytes, sha256: hash.digest("hex"), etag: before ? (vouches ? fileValidator(before.st, before.at) : null) : opened.etag };
}

/** A local source's stat taken just before it is read, and when (its validator, recorded as its etag, lets the quick check confirm it unchanged without hashing); null when it cannot be stat'ed (the open then says why). */
async function localStat(path: string): Promise<{ st: BigIntStats; at: number } | null> {
  const at = Date.now();
  return stat(path, { bigint: true }).then((st) => ({ st, at }), () => null);
}

/** Refuses bytes read from a local file that was written, truncated or replaced while it was read: they may mix two versions of it. */
async function requireUnchangedFile(path: string, before: BigIntStats, shown: string): Promise<void> {
  const after = await stat(path, { bigint: true }).catch(() => null);
  if (after === null || !sameFileState(before, after)) {
    throw new SourceChangedError(`Source ${shown} changed while it was read, so its bytes may mix two versions; the fetch is retried, and if the file keeps changing, write it under another name and rename it into place when it is complete.`);
  }
}
