/** Error replies of the intake server: one sentence in `{"error": ...}` with the right status. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TidemarkError } from "../errors.js";
import { IntakeRequestError } from "./errors.js";
import type { IntakeMetrics } from "./metrics.js";

const REASONS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  415: "unsupported_media_type",
  429: "too_many_requests",
  503: "unavailable",
};

/** Maps a fastify framework error to an {@link IntakeRequestError}, or null when it is not one of its request errors. */
function frameworkError(err: FastifyError, maxBodyBytes: number, payments: boolean): IntakeRequestError | null {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new IntakeRequestError(413, `The body is larger than ${maxBodyBytes} bytes; send fewer records per request.`, { limit: maxBodyBytes });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new IntakeRequestError(415, `The content type is not supported; send ${payments ? "application/json" : "application/x-ndjson or application/json"}.`);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new IntakeRequestError(400, "The body is empty; send a JSON object.");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new IntakeRequestError(400, `The body is not valid JSON (${err.message}); send a JSON object.`);
    default:
      if (err instanceof SyntaxError || err.statusCode === 400) return new IntakeRequestError(400, `The body is not valid JSON (${err.message}); send a JSON object.`);
      return null;
  }
}

/** Sends an error reply. */
export function sendError(reply: FastifyReply, err: IntakeRequestError, metrics: IntakeMetrics): FastifyReply {
  metrics.rejected.inc({ reason: (err.details.reason !== undefined && err.status === 400 ? "bad_record" : undefined) ?? REASONS[err.status] ?? String(err.status) });
  for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
  return reply.code(err.status).send({ error: err.message, ...err.details });
}

/** Whether a request path belongs to the payments API (`/v1/payments`, `/v1/wallets`). */
export function isPaymentsPath(url: string): boolean {
  return /^\/v1\/(payments|wallets)(\/|\?|$)/.test(url);
}

/** Installs the error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance, metrics: IntakeMetrics, maxBodyBytes: number, statusOf: (err: TidemarkError) => number | null): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof IntakeRequestError) return sendError(reply, err, metrics);
    if (err instanceof TidemarkError) {
      const status = statusOf(err);
      if (status !== null) return sendError(reply, new IntakeRequestError(status, err.message), metrics);
    }
    const mapped = frameworkError(err, maxBodyBytes, isPaymentsPath(req.url));
    if (mapped) return sendError(reply, mapped, metrics);
    metrics.rejected.inc({ reason: "internal" });
    return reply.code(500).send({ error: "The server failed to handle the request; retry it, and report the problem if it persists." });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const section = isPaymentsPath(path) ? "Payments" : "Push intake";
    sendError(reply, new IntakeRequestError(404, `There is no ${req.method} ${path} endpoint; see the README's ${section} section.`), metrics);
  });
}
