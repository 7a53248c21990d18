import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { setTimeout as sleep } from "node:timers/promises";
import { AlreadyExistsError, NotFoundError, PreconditionFailedError, WriteOutcomeUnknownError } from "../errors.js";
import { assertValidKey, assertValidPrefix } from "./keys.js";
import { mapS3Error, isConditionalConflict, type S3Op } from "./s3-errors.js";
import { deadlineSignal, limitSends, limitsOf } from "./s3-send-limits.js";
import { sweepAbandonedUploads } from "./s3-uploads.js";
import type { AbandonedWrite, DeleteOptions, GetResult, GetStreamResult, ListOptions, ObjectInfo, ObjectStore, PutResult, WriteMode } from "./types.js";

const MiB = 1024 * 1024;

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket; "" or a relative path ("/" is appended when missing). */
  prefix: string;
  /** putStream bodies larger than this use multipart upload (default 8 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB, S3 minimum 5 MiB). */
  partSize?: number;
  /** Parts uploaded concurrently; memory stays about (this + 1) x partSize (default 4). */
  maxConcurrentParts?: number;
  /** Internal retries of a conditional write answered 409 ConditionalRequestConflict (default 3). */
  conflictRetries?: number;
}

/** Strips the quotes S3 puts around ETags so both backends expose bare etags. */
function bareEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/^"(.*)"$/, "$1");
}

function conditionHeaders(mode: WriteMode): { IfNoneMatch?: string; IfMatch?: string } {
  if (mode.kind === "create") return { IfNoneMatch: "*" };
  // RFC 7232 entity tags are quoted; MinIO and AWS accept the quoted form.
  if (mode.kind === "update") return { IfMatch: `"${mode.etag}"` };
  return {};
}

function opOf(mode: WriteMode): S3Op {
  return mode.kind;
}

/** Decodes a key of a ListObjectsV2 response requested with `EncodingType=url` (S3 and MinIO encode spaces as "+"). */
function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

async function* concatParts(first: Uint8Array[], rest: AsyncIterable<Uint8Array | string>, partSize: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = first.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  let pendingBytes = pending.reduce((n, c) => n + c.length, 0);
  const drain = function* (final: boolean): Generator<Buffer> {
    while (pendingBytes >= partSize || (final && pendingBytes > 0)) {
      const all = Buffer.concat(pending, pendingBytes);
      const size = Math.min(partSize, all.length);
      const remainder = Buffer.from(all.subarray(size));
      pending = remainder.length > 0 ? [remainder] : [];
      pendingBytes = remainder.length;
      yield all.subarray(0, size);
    }
  };
  yield* drain(false);
  for await (const chunk of rest) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pending.push(buf);
    pendingBytes += buf.length;
    yield* drain(false);
  }
  yield* drain(true);
}

/**
 * {@link ObjectStore} on an S3 bucket (AWS or compatible, e.g. MinIO). `create` sends
 * `If-None-Match: *`, `update` sends `If-Match`, also on CompleteMultipartUpload. Etags are
 * exposed without quotes. Identical content rewritten with PutObject keeps its etag (S3 etags
 * are content hashes), which is harmless for compare-and-swap.
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Normalized prefix: "" or ending with "/". */
  readonly prefix: string;
  private readonly client: S3Client;
  readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly maxConcurrentParts: number;
  private readonly conflictRetries: number;

  constructor(options: S3ObjectStoreOptions) {
    const prefix = options.prefix === "" || options.prefix.endsWith("/") ? options.prefix : options.prefix + "/";
    if (prefix !== "") assertValidKey(prefix + "x");
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.url = `s3://${options.bucket}/${prefix}`;
    this.multipartThreshold = options.multipartThreshold ?? 8 * MiB;
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
    this.maxConcurrentParts = Math.max(1, options.maxConcurrentParts ?? 4);
    this.conflictRetries = options.conflictRetries ?? 3;
  }

  async get(key: string): Promise<GetResult> {
    const { stream, ...info } = await this.getStream(key);
    try {
      const chunks = (await stream.toArray()) as Buffer[];
      return { ...info, body: Buffer.concat(chunks) };
    } catch (e) {
      throw this.mapError(e, key, "read");
    }
  }

  async getStream(key: string): Promise<GetStreamResult> {
    const out = await this.call(key, "read", () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
    const body = out.Body;
    const stream = body instanceof Readable ? body : Readable.fromWeb((body?.transformToWebStream() ?? new Blob([]).stream()) as WebReadableStream);
    return { key, size: out.ContentLength ?? 0, etag: bareEtag(out.ETag), lastModified: out.LastModified ?? new Date(0), stream };
  }

  async head(key: string): Promise<ObjectInfo> {
    const out = await this.call(key, "read", () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
    return { key, size: out.ContentLength ?? 0, etag: bareEtag(out.ETag), lastModified: out.LastModified ?? new Date(0) };
  }

  async put(key: string, body: Uint8Array | string, mode: WriteMode = { kind: "overwrite" }): Promise<PutResult> {
    const Key = this.fullKey(key);
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const limits = limitsOf(mode);
    const out = await this.retryConflicts(key, mode, async () => {
      const command = new PutObjectCommand({ Bucket: this.bucket, Key, Body: bytes, ContentLength: bytes.byteLength, ...conditionHeaders(mode) });
      if (!limits) return this.client.send(command);
      try {
        return await this.client.send(limitSends(command, limits, `${this.url}${key}`), { abortSignal: deadlineSignal(limits) });
      } catch (err) {
        if ((err as Error).name !== "AbortError") throw err;
        throw new WriteOutcomeUnknownError(`The write of ${this.url}${key} was still unanswered at its deadline ${new Date(limits.by!).toISOString()} and was abandoned; the attempt that owns it decides from the store whether it landed.`);
      }
    });
    return { etag: bareEtag(out.ETag), size: bytes.byteLength };
  }

  async putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, mode: WriteMode = { kind: "overwrite" }): Promise<PutResult> {
    this.fullKey(key);
    const iterator = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    const first: Uint8Array[] = [];
    let firstBytes = 0;
    try {
      while (firstBytes <= this.multipartThreshold) {
        const next = await iterator.next();
        if (next.done) return await this.put(key, Buffer.concat(first), mode);
        const chunk = typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value;
        first.push(chunk);
        firstBytes += chunk.byteLength;
      }
      await this.precheck(key, mode);
    } catch (e) {
      await iterator.return?.();
      throw e;
    }
    try {
      return await this.multipart(key, mode, concatParts(first, { [Symbol.asyncIterator]: () => iterator }, this.partSize));
    } catch (e) {
      await iterator.return?.();
      throw e;
    }
  }

  /** Deletes the key (one `DeleteObject`, atomic whatever the options say). */
  async delete(key: string, _options?: DeleteOptions): Promise<void> {
    await this.call(key, "delete", () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
  }

  /** Multipart uploads of writes whose process died before completing them, under `prefix`. */
  async sweepAbandonedWrites(prefix: string, before: Date, dryRun: boolean): Promise<AbandonedWrite[]> {
    assertValidPrefix(prefix);
    const scope = { client: this.client, bucket: this.bucket, prefix: this.prefix + prefix, storePrefixLength: this.prefix.length };
    return this.call(prefix, "list", () => sweepAbandonedUploads(scope, before, dryRun));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const MaxKeys = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    let ContinuationToken: string | undefined;
    do {
      const out = await this.call(prefix, "list", () =>
        this.client.send(
          // Keys are requested URL-encoded so that any character survives the XML response.
          new ListObjectsV2Command({
            Bucket: this.bucket, Prefix: this.prefix + prefix, MaxKeys, ContinuationToken, EncodingType: "url",
            StartAfter: options.startAfter === undefined ? undefined : this.prefix + options.startAfter,
          }),
        ),
      );
      for (const o of out.Contents ?? []) {
        const key = decodeListedKey(o.Key ?? "").slice(this.prefix.length);
        yield { key, size: o.Size ?? 0, etag: bareEtag(o.ETag), lastModified: o.LastModified ?? new Date(0) };
      }
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Fails fast before uploading parts when the condition already does not hold; Complete re-checks it. */
  private async precheck(key: string, mode: WriteMode): Promise<void> {
    if (mode.kind === "overwrite") return;
    const current = await this.head(key).catch((e: unknown) => {
      if (e instanceof NotFoundError) return null;
      throw e;
    });
    if (mode.kind === "create" && current) throw new AlreadyExistsError(key);
    if (mode.kind === "update" && current?.etag !== mode.etag) throw new PreconditionFailedError(key, mode.etag);
  }

  private async multipart(key: string, mode: WriteMode, parts: AsyncGenerator<Buffer>): Promise<PutResult> {
    if (limitsOf(mode)) throw new Error(`A multipart upload of ${this.url}${key} cannot be sent once or by a deadline; write it with put().`);
    const Key = this.fullKey(key);
    const created = await this.call(key, "overwrite", () => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key })));
    const UploadId = created.UploadId;
    const done: CompletedPart[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    let size = 0;
    let PartNumber = 0;
    try {
      for await (const part of parts) {
        if (failure !== undefined) break;
        const n = ++PartNumber;
        size += part.length;
        const upload: Promise<void> = this.call(key, "overwrite", () =>
          this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: n, Body: part, ContentLength: part.length })),
        ).then(
          ({ ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumSHA1, ChecksumSHA256, ChecksumCRC64NVME }) => {
            done.push({ PartNumber: n, ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumSHA1, ChecksumSHA256, ChecksumCRC64NVME });
          },
          (e: unknown) => {
            failure ??= e;
          },
        );
        inflight.add(upload);
        void upload.finally(() => inflight.delete(upload));
        if (inflight.size >= this.maxConcurrentParts) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      if (failure !== undefined) throw failure;
      done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      const out = await this.completeMultipart(key, mode, { Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: done } });
      return { etag: bareEtag(out.ETag), size };
    } catch (e) {
      await Promise.allSettled(inflight);
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Completes with the write condition. A 409 ConditionalRequestConflict here cannot be retried
   * (AWS requires a new upload), so create reports AlreadyExists only if the key now exists.
   */
  private async completeMultipart(key: string, mode: WriteMode, input: ConstructorParameters<typeof CompleteMultipartUploadCommand>[0]) {
    try {
      return await this.client.send(new CompleteMultipartUploadCommand({ ...input, ...conditionHeaders(mode) }));
    } catch (e) {
      if (!isConditionalConflict(e) || mode.kind !== "create") throw this.mapError(e, key, opOf(mode), mode);
      const exists = await this.head(key).then(() => true, () => false);
      throw exists ? new AlreadyExistsError(key) : this.mapError(e, key, "overwrite");
    }
  }

  private async retryConflicts<T>(key: string, mode: WriteMode, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (!isConditionalConflict(e) || attempt >= this.conflictRetries) throw this.mapError(e, key, opOf(mode), mode);
        await sleep(20 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  private async call<T>(key: string, op: S3Op, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      throw this.mapError(e, key, op);
    }
  }

  private mapError(e: unknown, key: string, op: S3Op, mode?: WriteMode): Error {
    return mapS3Error(e, { key, op, etag: mode?.kind === "update" ? mode.etag : undefined, bucket: this.bucket, url: this.url });
  }

  private fullKey(key: string): string {
    return this.prefix + assertValidKey(key);
  }
}
