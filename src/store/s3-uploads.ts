import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from "@aws-sdk/client-s3";
import type { AbandonedWrite } from "./types.js";

/** Where {@link sweepAbandonedUploads} looks: a bucket and a full key prefix inside it. */
export interface UploadScope {
  client: S3Client;
  bucket: string;
  /** Full key prefix (the store's prefix plus the swept one). */
  prefix: string;
  /** Length of the store's own prefix, stripped from reported keys. */
  storePrefixLength: number;
}

async function uploadedBytes(scope: UploadScope, key: string, uploadId: string): Promise<number> {
  const out = await scope.client.send(new ListPartsCommand({ Bucket: scope.bucket, Key: key, UploadId: uploadId }));
  return (out.Parts ?? []).reduce((n, p) => n + (p.Size ?? 0), 0);
}

/**
 * Multipart uploads under the prefix started before `before` and never completed (a process died
 * between its parts and Complete): their parts are stored and billed but invisible to listings.
 * Aborted unless `dryRun`.
 */
export async function sweepAbandonedUploads(scope: UploadScope, before: Date, dryRun: boolean): Promise<AbandonedWrite[]> {
  const found: AbandonedWrite[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    // MinIO lists uploads for a Prefix only when it is a whole object key, so the bucket's uploads are listed and filtered here.
    const out = await scope.client.send(new ListMultipartUploadsCommand({ Bucket: scope.bucket, KeyMarker, UploadIdMarker }));
    for (const upload of out.Uploads ?? []) {
      if (!upload.Key?.startsWith(scope.prefix) || !upload.UploadId || !upload.Initiated || upload.Initiated >= before) continue;
      found.push({ key: upload.Key.slice(scope.storePrefixLength), size: await uploadedBytes(scope, upload.Key, upload.UploadId) });
      if (!dryRun) await scope.client.send(new AbortMultipartUploadCommand({ Bucket: scope.bucket, Key: upload.Key, UploadId: upload.UploadId }));
    }
    const more = out.IsTruncated === true;
    KeyMarker = more ? out.NextKeyMarker : undefined;
    UploadIdMarker = more ? out.NextUploadIdMarker : undefined;
  } while (KeyMarker);
  return found;
}
