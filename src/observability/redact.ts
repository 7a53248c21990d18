import { onlyEnvReferences } from "../config/env-refs.js";

/** What replaces a secret in logged text. */
export const REDACTED = "[redacted]";

const SECRET_ENV_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
const AUTH_HEADER = /\b((?:proxy-)?authorization|x-amz-security-token|x-api-key)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi;
const SECRET_ASSIGNMENT = /\b(aws_secret_access_key|aws_session_token|secret_?access_?key|session_?token|api_?key|password)(["']?\s*[:=]\s*["']?)[^"'\s,}&]+/gi;
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi;
const SIGNATURE_PARAM = /([?&;\s]|^)(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|token|access_token|id_token|refresh_token|auth|apikey|api_key|key|code|sv|se|sp|skoid|sktid)=([^&\s"'<>]+)/gim;
const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** Whether every part of `text` between `separator`s is a value made of `${NAME}` references (a query's `name=` kept). */
function onlyRefs(text: string, separator: string): boolean {
  return text.split(separator).every((part) => {
    const value = separator === "&" ? part.slice(part.indexOf("=") + 1) : part;
    return onlyEnvReferences(value);
  });
}

function looksLikeAwsSecret(candidate: string): boolean {
  return /[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && /[0-9/+]/.test(candidate);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Variables that may name a file holding their secrets instead of holding them; a path in them is not a secret. */
const MAY_NAME_A_FILE = /_FILE$|^TIDEMARK_INGEST_TOKENS$/;
const PATH_VALUE = /^(\/|\.\.?\/|file:)\S*$/;

function secretEnvValues(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 6 || !SECRET_ENV_NAME.test(name)) continue;
    if (MAY_NAME_A_FILE.test(name) && PATH_VALUE.test(value)) continue;
    values.push(value);
  }
  return values.sort((a, b) => b.length - a.length);
}

/**
 * Removes credentials from a string: values of secret-looking environment variables (read at each
 * call, so variables set later are covered too), URL userinfo (`scheme://user:pass@` keeps only the
 * scheme), URL query strings (`?…` becomes `?[redacted]`), signature parameters (`X-Amz-Signature=`,
 * `token=`, `sig=`, …), `Authorization`-style header values, `key=value` secret assignments and
 * AWS-secret-shaped tokens.
 */
export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const value of secretEnvValues(env)) {
    if (out.includes(value)) out = out.replace(new RegExp(escapeRegExp(value), "g"), REDACTED);
  }
  return out
    .replace(URL_USERINFO, (m: string, scheme: string) => (onlyRefs(m.slice(scheme.length, -1), ":") ? m : `${scheme}${REDACTED}@`))
    .replace(URL_QUERY, (m: string, base: string) => (onlyRefs(m.slice(base.length + 1), "&") || !/[A-Za-z0-9%]/.test(m.slice(base.length + 1)) ? m : `${base}?${REDACTED}`))
    .replace(SIGNATURE_PARAM, (m: string, lead: string, name: string, value: string) => (onlyRefs(value, "&") ? m : `${lead}${name}=${REDACTED}`))
    .replace(AUTH_HEADER, `$1$2${REDACTED}`)
    .replace(SECRET_ASSIGNMENT, `$1$2${REDACTED}`)
    .replace(AWS_SECRET_SHAPE, (m) => (looksLikeAwsSecret(m) ? REDACTED : m));
}

/**
 * A JSON-safe copy of a log metadata value with every string redacted: errors become their message,
 * nested objects and arrays are walked (to a bounded depth), functions and symbols are dropped.
 */
export function redactValue(value: unknown, env: NodeJS.ProcessEnv = process.env, depth = 0): unknown {
  if (typeof value === "string") return redact(value, env);
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return redact(value.message, env);
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object" || depth > 4) return undefined;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, env, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/^(authorization|password|secret|token|headers)$/i.test(k)) {
      out[k] = REDACTED;
      continue;
    }
    const r = redactValue(v, env, depth + 1);
    if (r !== undefined) out[k] = r;
  }
  return out;
}
