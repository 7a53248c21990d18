/** Literal credentials in URIs: refused, because a definition and `--source` travel through workflow histories. Pure. */

const SECRET_PARAM = /^(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|token|access_token|id_token|refresh_token|api_key|apikey|api-key|key|password|passwd|secret|client_secret|auth)$/i;
const ONLY_REFS = /^(\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;

/**
 * What literal credential `uri` carries (a password in its userinfo, or a secret-named query
 * parameter whose value is not a `${NAME}` reference), or null when it carries none.
 */
export function literalCredential(uri: string): string | null {
  const auth = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(uri);
  if (auth) {
    const colon = auth[1].indexOf(":");
    const password = colon < 0 ? "" : auth[1].slice(colon + 1);
    if (password !== "" && !ONLY_REFS.test(password)) return "a password in its user info";
  }
  const query = uri.split("#")[0].split("?").slice(1).join("?");
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const name = decodeURIComponent(pair.slice(0, eq));
    const value = pair.slice(eq + 1);
    if (SECRET_PARAM.test(name) && value !== "" && !ONLY_REFS.test(value)) return `the query parameter ${JSON.stringify(name)}`;
  }
  return null;
}

/** The sentence tail that says how to pass a credential instead. */
export const CREDENTIAL_FIX = 'reference worker environment variables instead, e.g. "https://${SOURCE_USER}:${SOURCE_PASS}@host/x.csv?token=${SOURCE_TOKEN}", so the secret never reaches workflow histories';
