/** What webhooks a worker may call: `TIDEMARK_WEBHOOK_ALLOW` prefixes, or https to public addresses. */
import { envReferences, MissingEnvReferenceError } from "../config/env-refs";
import type { DatasetDefinition } from "../definition";
import type { HostResolver, ResolvedAddress } from "./address";
import { checkHttpTarget, matchesPrefix, parseAllowList, type TargetRule } from "./allow";
import { WebhookNotAllowedError } from "./errors";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { pinnedLookup } from "./open-http";
import { redactUri } from "./redact";

/** The variable that widens what webhooks may be called. */
export const WEBHOOK_ALLOW_VAR = "TIDEMARK_WEBHOOK_ALLOW";

const RULE: TargetRule = { what: "Webhook", variable: WEBHOOK_ALLOW_VAR, refuse: (m) => new WebhookNotAllowedError(m) };

/** `TIDEMARK_WEBHOOK_ALLOW` as URI prefixes, or null for the defaults. */
export function webhookAllowFromEnv(env: NodeJS.ProcessEnv): string[] | null {
  const text = env[WEBHOOK_ALLOW_VAR];
  return text === undefined || text.trim() === "" ? null : parseAllowList(text);
}

/**
 * Checks a webhook URL and returns the address to call: a listed prefix when `TIDEMARK_WEBHOOK_ALLOW`
 * is set, else `https://` to a host whose every address is public.
 */
export async function checkWebhookUrl(uri: string, allow: string[] | null, resolver: HostResolver): Promise<ResolvedAddress> {
  const shown = redactUri(uri);
  const url = new URL(uri);
  if (url.protocol !== "https:" && !(allow ?? []).some((p) => matchesPrefix(url, p))) {
    throw new WebhookNotAllowedError(`Webhook ${shown} is not allowed: webhooks must use https:// unless ${WEBHOOK_ALLOW_VAR} lists them; use an https URL or list it in ${WEBHOOK_ALLOW_VAR} on the worker.`);
  }
  return checkHttpTarget(shown, url, { allow }, resolver, undefined, RULE);
}

/**
 * Checks every webhook of a definition when it is loaded: each URL against the rules above, and each
 * `${NAME}` in a header set in `env` (an unset one is a {@link MissingEnvReferenceError} naming it).
 */
export async function checkWebhooks(definition: DatasetDefinition, env: NodeJS.ProcessEnv, resolver: HostResolver): Promise<void> {
  const allow = webhookAllowFromEnv(env);
  for (const hook of definition.notify ?? []) {
    for (const [header, value] of Object.entries(hook.headers ?? {})) {
      const missing = envReferences(value).find((name) => env[name] === undefined);
      if (missing) {
        throw new MissingEnvReferenceError(`Webhook ${redactUri(hook.url)} of ${definition.id} has header ${header} referencing \${${missing}}, which is not set in the worker's environment; set ${missing} where the worker runs.`);
      }
    }
    await checkWebhookUrl(hook.url, allow, resolver);
  }
}

/**
 * POSTs `body` to a checked webhook, connecting to the address {@link checkWebhookUrl} returned (no
 * redirects followed). Resolves with the HTTP status.
 */
export function postToWebhook(uri: string, target: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const url = new URL(uri);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup: pinnedLookup(target) as never, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
