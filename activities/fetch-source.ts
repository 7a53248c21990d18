import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Transform } from "node:stream";
import { fileURLToPath } from "node:url";
import type { FetchedSource } from "../src/contracts";
import { expandEnvReferences } from "../src/config/env-refs";
import { DatasetLayout } from "../src/layout";
import { count, overLimit } from "../src/formats/limits";
import { openLedgerSource } from "../src/ledger/read-model-source";
import { isLedgerUri } from "../src/ledger/source-uri";
import { checkFileSource, sourcePolicyFromEnv } from "../src/sources/allow";
import { ingestLimitsFromEnv, LIMIT_VARS } from "../src/sources/limits";
import { openSource, redactUri } from "../src/sources/open";
import type { ActivityDeps } from "./deps";
import { activityContext, withKeepAlive } from "./heartbeat";

/** sha256 and size of a local file, read once without copying it. */
async function hashFile(path: string, maxBytes: number, signal?: AbortSignal): Promise<{ sha256: string; bytes: number } | null> {
  if ((await stat(path)).size > maxBytes) return null;
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) return null;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** Input of `fetchSource`. */
export interface FetchSourceInput {
  dataset: string;
  version: string;
  uri: string;
  /** The current version's source sha256: a local file with this hash is not copied at all (the run ends "unchanged"). */
  unchangedIf?: string;
}

/** Step 1: streams the source (or a ledger read model, materialized from the store) to `runs/<version>/source`, computing its sha256 on the way. */
export function fetchSourceActivities(deps: ActivityDeps) {
  return {
    fetchSource: ({ dataset, version, uri, unchangedIf }: FetchSourceInput): Promise<FetchedSource> =>
      withKeepAlive(async (signal, note) => {
        const layout = new DatasetLayout(dataset);
        const key = layout.key(`${layout.runs(version)}source`);
        const sources = { ...deps.sources, policy: deps.sources?.policy ?? sourcePolicyFromEnv(deps.env ?? process.env, { datasetsDir: deps.datasetsDir, storeUrl: deps.store.url }) };
        const maxBytes = ingestLimitsFromEnv(deps.env ?? process.env).sourceBytes;
        const resolved = expandEnvReferences(uri, deps.env ?? process.env, { required: true, where: `Source ${redactUri(uri)} of ${dataset}` });
        if (unchangedIf && resolved.startsWith("file://")) {
          const path = await checkFileSource(redactUri(resolved), fileURLToPath(resolved), sources.policy);
          const local = await hashFile(path, maxBytes, signal).catch(() => null);
          if (local?.sha256 === unchangedIf) return { key, uri: redactUri(uri), bytes: local.bytes, sha256: local.sha256, etag: null };
        }
        const opened = isLedgerUri(resolved)
          ? await openLedgerSource(deps.store, resolved, signal)
          : await openSource(resolved, { ...sources, signal, attempt: activityContext()?.info.attempt });
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
        await deps.store.putStream(key, opened.stream.pipe(meter), { kind: "overwrite" });
        return { key, uri: redactUri(uri), bytes, sha256: hash.digest("hex"), etag: opened.etag };
      }),
  };
}
