import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { FetchedSource } from "../src/contracts";
import { expandEnvReferences } from "../src/config/env-refs";
import { isPushUri } from "../src/intake/inbox-source";
import { DatasetLayout } from "../src/layout";
import { isLedgerUri } from "../src/ledger/source-uri";
import { checkFileSource, sourcePolicyFromEnv } from "../src/sources/allow";
import { isFileValidator, unchangedSince } from "../src/sources/file-validator";
import { hashFile } from "../src/sources/hash-file";
import { ingestLimitsFromEnv } from "../src/sources/limits";
import { openSourceIfChanged, redactUri } from "../src/sources/open";
import { revalidationEtag } from "../src/sources/validator";
import { recordedSource } from "../src/manifest/read";
import type { ActivityDeps } from "./deps";

/** Largest local file `sourceUnchanged` hashes; a bigger one is left to `prepare` (a regular, heartbeating activity). */
export const QUICK_HASH_MAX_BYTES = 256 * 1024 * 1024;

/** How long the quick check waits for an `https://` origin's answer before leaving the source to `prepare`. */
export const QUICK_ANSWER_MS = 10_000;

/** Input of `sourceUnchanged`. */
export interface SourceUnchangedInput {
  dataset: string;
  /** The run's scratch version (the key a fetched source would have). */
  version: string;
  uri: string;
  /** The current version's source sha256. */
  unchangedIf: string;
  /** The current version's manifest (its recorded source). */
  baseManifest: string;
}

/** The quick check that lets an unchanged run end without `prepare`. */
export function revalidateActivities(deps: ActivityDeps) {
  return {
    /**
     * Whether the source is certainly the current version's, checked cheaply enough to run as a local
     * activity: a `file://` source whose stat matches the validator recorded when it was read (see
     * {@link unchangedSince}; no read at all), or else of the recorded size (at most
     * {@link QUICK_HASH_MAX_BYTES}) with the recorded sha256, or an `https://`/`s3://` source whose origin answers 304 to the recorded strong
     * ETag (see {@link revalidationEtag}). Returns the source as recorded, or null for every other case
     * and on any error: `prepare` then fetches the source and reports what is wrong with it.
     */
    async sourceUnchanged(input: SourceUnchangedInput): Promise<FetchedSource | null> {
      try {
        return await quickCheck(deps, input);
      } catch {
        return null;
      }
    },
  };
}

async function quickCheck(deps: ActivityDeps, { dataset, version, uri, unchangedIf, baseManifest }: SourceUnchangedInput): Promise<FetchedSource | null> {
  const env = deps.env ?? process.env;
  const resolved = expandEnvReferences(uri, env, { required: true, where: `Source ${redactUri(uri)} of ${dataset}` });
  if (isPushUri(resolved) || isLedgerUri(resolved) || !/^(file|https?|s3):\/\//.test(resolved)) return null;
  const recorded = await recordedSource(deps, dataset, baseManifest);
  if (recorded === null || recorded.sha256 !== unchangedIf) return null;
  const policy = deps.sources?.policy ?? sourcePolicyFromEnv(env, { datasetsDir: deps.datasetsDir, storeUrl: deps.store.url });
  const layout = new DatasetLayout(dataset);
  const key = layout.key(`${layout.runs(version)}source`);
  if (resolved.startsWith("file://")) {
    const path = await checkFileSource(redactUri(resolved), fileURLToPath(resolved), policy);
    const st = await stat(path, { bigint: true });
    if (isFileValidator(recorded.etag) && unchangedSince(recorded.etag, st)) return { key, uri: redactUri(uri), bytes: recorded.bytes, sha256: recorded.sha256, etag: recorded.etag };
    if (Number(st.size) !== recorded.bytes) return null;
    const local = await hashFile(path, Math.min(QUICK_HASH_MAX_BYTES, ingestLimitsFromEnv(env).sourceBytes));
    return local?.sha256 === unchangedIf ? { key, uri: redactUri(uri), bytes: local.bytes, sha256: local.sha256, etag: null } : null;
  }
  const etag = revalidationEtag(uri, resolved, recorded, unchangedIf);
  if (etag === null) return null;
  const opened = await openSourceIfChanged(resolved, etag, { ...deps.sources, policy, httpTimeoutMs: QUICK_ANSWER_MS });
  if (opened !== null) {
    opened.stream.destroy();
    return null;
  }
  return { key, uri: redactUri(uri), bytes: recorded.bytes, sha256: recorded.sha256, etag };
}
