/** `POST /v1/datasets/<id>/records`: authenticate, validate, group-commit, acknowledge (SPEC §11). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { DatasetDefinition } from "../definition/schema.js";
import { isValidDatasetId } from "../definition/id.js";
import { BacklogTracker } from "./backlog.js";
import { IntakeRequestError } from "./errors.js";
import type { GroupCommitter } from "./group.js";
import type { IntakeMetrics } from "./metrics.js";
import type { IntakeLimits } from "./options.js";
import type { RateLimiter } from "./rate.js";
import { NdjsonValidator } from "./ndjson-validator.js";
import type { SchemaGuard } from "./schema-guard.js";

/** Retry-After of a request refused for the backlog: the server sees compaction's progress within this time (it lists the inbox that often while over the bound). */
const BACKLOG_RETRY_AFTER_S = Math.ceil(BacklogTracker.OVER_BOUND_MS / 1000);
import { type BodyFormat, inflateBody, validateRecords } from "./records.js";
import { type Grant, type TokenTable, allowsDataset } from "./tokens.js";

/** What the records route works with. */
export interface RecordsRouteDeps {
  readonly definitions: ReadonlyMap<string, DatasetDefinition>;
  readonly tokens: TokenTable;
  readonly rate: RateLimiter;
  readonly limits: IntakeLimits;
  readonly metrics: IntakeMetrics;
  readonly backlog: BacklogTracker;
  readonly committer: (datasetId: string) => GroupCommitter;
  /** Refuses pushes to a dataset whose definition here conflicts with its published schema. */
  readonly schema: SchemaGuard;
}

/** Content type of the 202 body, which is written as a string (the same JSON Fastify would serialize). */
const JSON_TYPE = "application/json; charset=utf-8";

type RecordsRequest = FastifyRequest<{ Params: { id: string } }> & { dataset?: DatasetDefinition };

/** Requests and bytes of request bodies the server holds; a request reserves its share before its body is read. */
class BodyBudget {
  private used = 0;
  private requests = 0;
  constructor(private readonly max: number, private readonly maxRequests: number) {}
  /** Reserves `bytes`, or throws 429 when the server already holds its most requests, or other bodies and this one would go over. */
  reserve(bytes: number): number {
    if (this.requests >= this.maxRequests) {
      throw new IntakeRequestError(429, `The server is handling ${this.requests} requests, its limit; retry after a moment.`, {}, { "retry-after": "1" });
    }
    if (this.used > 0 && this.used + bytes > this.max) {
      throw new IntakeRequestError(429, `The server is holding ${this.used} bytes of request bodies, its limit; retry after a moment.`, {}, { "retry-after": "1" });
    }
    this.used += bytes;
    this.requests++;
    return bytes;
  }
  release(bytes: number): void {
    this.used -= bytes;
    this.requests--;
  }
}

function bodyShare(req: FastifyRequest, limits: IntakeLimits, gzip: boolean): number {
  const length = Number(req.headers["content-length"]);
  const raw = Number.isFinite(length) && length >= 0 ? Math.min(length, limits.maxBodyBytes) : limits.maxBodyBytes;
  return gzip ? raw + limits.maxBodyBytes : raw;
}

/** Authenticates a request: 401 without a valid token. */
export function authenticate(tokens: TokenTable, req: FastifyRequest): Grant {
  const header = req.headers.authorization;
  if (header === undefined) throw new IntakeRequestError(401, 'The request has no token; send "Authorization: Bearer <token>".', {}, { "www-authenticate": "Bearer" });
  const grant = tokens.check(header);
  if (!grant) throw new IntakeRequestError(401, "The token is not valid; use a token listed in TIDEMARK_INGEST_TOKENS.", {}, { "www-authenticate": "Bearer" });
  return grant;
}

function admit(deps: RecordsRouteDeps, req: RecordsRequest): void {
  const grant = authenticate(deps.tokens, req);
  const id = req.params.id;
  if (!isValidDatasetId(id)) {
    throw new IntakeRequestError(400, `Dataset id ${JSON.stringify(String(id).slice(0, 140))} is invalid; use 1–128 characters of a-z, 0-9, "_", "." or "-".`);
  }
  if (!allowsDataset(grant, id)) throw new IntakeRequestError(403, `This token may not push to dataset "${id}"; use a token whose scope lists it.`);
  const def = deps.definitions.get(id);
  if (!def) throw new IntakeRequestError(404, `Dataset "${id}" is not defined on this server; check the id or add its definition to TIDEMARK_DATASETS.`);
  if (!def.source.push) throw new IntakeRequestError(404, `Dataset "${id}" is not a push dataset; only datasets with source: { push: {} } take records.`);
  const refused = deps.rate.take(grant.label);
  if (refused) {
    throw new IntakeRequestError(429, `This token is over its rate of ${deps.limits.ratePerSecond} requests per second; retry after ${refused.retryAfterSeconds} s.`, {}, { "retry-after": String(refused.retryAfterSeconds) });
  }
  const bound = def.source.push.max_backlog_bytes ?? deps.limits.maxBacklogBytes;
  const backlog = deps.backlog.get(id);
  if (backlog.bytes >= bound) {
    throw new IntakeRequestError(429, `Dataset "${id}" has ${backlog.bytes} bytes of records waiting for compaction, over its bound of ${bound}; retry later.`, {}, { "retry-after": String(BACKLOG_RETRY_AFTER_S) });
  }
  req.dataset = def;
}

function bodyFormat(req: FastifyRequest): BodyFormat {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/json" ? "json" : "ndjson";
}

function encoding(req: FastifyRequest): "gzip" | "identity" {
  const value = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (value === "gzip" || value === "x-gzip") return "gzip";
  if (value === "identity" || value === "") return "identity";
  throw new IntakeRequestError(415, `Content-Encoding "${value}" is not supported; send the body uncompressed or with Content-Encoding: gzip.`);
}

/** Registers the records route in its own context (its body parsers keep the raw bytes). */
export function registerRecordsRoute(app: FastifyInstance, deps: RecordsRouteDeps): void {
  const budget = new BodyBudget(deps.limits.maxServerBytes, deps.limits.maxRequests);
  const validators = new Map<string, NdjsonValidator>();
  const validate = async (def: DatasetDefinition, body: Buffer, format: BodyFormat) => {
    if (format === "ndjson") {
      let v = validators.get(def.id);
      if (!v) validators.set(def.id, (v = new NdjsonValidator(def, deps.limits)));
      const fast = v.validate(body);
      if (fast) return fast;
    }
    return validateRecords(def, body, format, deps.limits);
  };
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(["application/json", "application/x-ndjson"], { parseAs: "buffer", bodyLimit: deps.limits.maxBodyBytes }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { id: string } }>(
      "/v1/datasets/:id/records",
      {
        onRequest: (req, reply, done) => {
          let reserved: number;
          try {
            admit(deps, req as RecordsRequest);
            reserved = budget.reserve(bodyShare(req, deps.limits, encoding(req) === "gzip"));
          } catch (err) {
            done(err as Error);
            return;
          }
          let held = true;
          const release = () => {
            if (held) budget.release(reserved);
            held = false;
          };
          reply.raw.once("finish", release).once("close", release);
          done();
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const def = (req as RecordsRequest).dataset!;
        const raw = req.body as Buffer | undefined;
        if (!raw || raw.length === 0) throw new IntakeRequestError(400, "The body is empty; send at least one record.");
        await deps.schema.check(def);
        const body = encoding(req) === "gzip" ? await inflateBody(raw, deps.limits.maxBodyBytes) : raw;
        const records = await validate(def, body, bodyFormat(req));
        const committed = await deps.committer(def.id).submit(records.ndjson, records.count);
        deps.metrics.recordsAccepted.inc({ dataset: def.id }, records.count);
        return reply.code(202).type(JSON_TYPE).send(`{"accepted":${records.count},"fragment":${JSON.stringify(committed.fragment)}}`);
      },
    );
  });
}
