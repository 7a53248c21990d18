/** Literal credentials in URIs: refused, because a definition and `--source` travel through workflow histories. Pure. */
import { onlyEnvReferences, withoutEnvReferences } from "../config/env-refs.js";

/** Query parameter names that carry secrets: signatures, tokens, passwords, session ids and keys of accounts or APIs (a plain `key`, `sort_key` or `page` does not). */
const SECRET_PARAM = /^(x-amz-(signature|credential|security-token)|x-goog-(signature|credential)|key)$|(^|[-_.])(sig|signature|token|secret|password|passwd|pwd|pw|pass|passphrase|session|sessionid|credentials?|cred|auth|authorization|apikey)($|[-_.])|(access|api|private|secret|account|client|sas|auth|master|signing)[-_.]?key$/i;

/**
 * What literal credential `uri` carries (a password in its user info, or a user name alone there,
 * which is how tokens are passed; or a secret-named query parameter whose value is not a `${NAME}`
 * reference), or null when it carries none. A literal user name beside a password reference is fine.
 */
export function literalCredential(uri: string): string | null {
  const auth = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(uri);
  if (auth) {
    const colon = auth[1].indexOf(":");
    const user = colon < 0 ? auth[1] : auth[1].slice(0, colon);
    const password = colon < 0 ? "" : auth[1].slice(colon + 1);
    if (password !== "" && !onlyEnvReferences(password)) return "a password in its user info";
    if (colon < 0 && user !== "" && !onlyEnvReferences(user)) return "a user name without a password in its user info (a token passed as the user name is a secret too)";
  }
  const query = uri.split("#")[0].split("?").slice(1).join("?");
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const name = safeDecode(pair.slice(0, eq));
    const value = pair.slice(eq + 1);
    if (SECRET_PARAM.test(name) && value !== "" && !onlyEnvReferences(value)) return `the query parameter ${JSON.stringify(name)}`;
  }
  return null;
}

/**
 * Whether a secret-named header's value hides a literal secret: it must hold a `${NAME}` reference,
 * and outside its references at most one word such as an authorization scheme (`Bearer ${TOKEN}`).
 */
export function literalHeaderSecret(value: string): boolean {
  const outside = withoutEnvReferences(value).trim();
  return outside === value.trim() || !/^([A-Za-z][A-Za-z0-9-]{0,19})?$/.test(outside);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The sentence tail that says how to pass a credential instead. */
export const CREDENTIAL_FIX = 'reference worker environment variables instead, e.g. "https://${SOURCE_USER}:${SOURCE_PASS}@host/x.csv?token=${SOURCE_TOKEN}", so the secret never reaches workflow histories';
