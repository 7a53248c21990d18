/**
 * Ingest tokens (SPEC §11): `TIDEMARK_INGEST_TOKENS` holds `token@ds1|ds2,token2@*`, or names a
 * file (a value starting with "/", "./" or "file:") holding the same entries separated by commas
 * or line breaks ("#" starts a comment). A token's scope lists dataset ids; `*` grants every
 * dataset and the payments API, `payments` grants the payments API. A presented token is hashed
 * and compared in constant time with every entry; an `Authorization` value already found valid is
 * remembered (at most {@link TokenTable.MAX_REMEMBERED} of them) so a client's later requests skip
 * the hashing. Tokens never appear in messages.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TidemarkError } from "../errors.js";

/** The ingest token configuration is malformed or unreadable. */
export class IngestTokensError extends TidemarkError {}

interface Entry {
  readonly digest: Buffer;
  readonly grant: Grant;
}

/** What a presented token may do. */
export interface Grant {
  /** A stable, non-secret label of the token for rate limiting and metrics (entry number). */
  readonly label: string;
  readonly scope: ReadonlySet<string>;
}

const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

function readSpec(value: string): { text: string; origin: string } {
  if (!/^(\/|\.\/|\.\.\/|file:)/.test(value)) return { text: value, origin: "TIDEMARK_INGEST_TOKENS" };
  const path = value.startsWith("file:") ? fileURLToPath(value) : value;
  try {
    return { text: readFileSync(path, "utf8"), origin: path };
  } catch (err) {
    throw new IngestTokensError(`The ingest tokens file ${path} named by TIDEMARK_INGEST_TOKENS cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix the path or list the tokens in the variable itself.`);
  }
}

/** The configured tokens. */
export class TokenTable {
  /** Most `Authorization` values remembered as valid; when full, the memory starts over. */
  static readonly MAX_REMEMBERED = 1024;
  private readonly remembered = new Map<string, Grant>();

  private constructor(private readonly entries: readonly Entry[]) {}

  /** Parses a token specification (the variable's value or a file it names); throws {@link IngestTokensError}. */
  static parse(value: string): TokenTable {
    const { text, origin } = readSpec(value.trim());
    const items = text.split(/[,\n]/).map((l) => l.replace(/#.*$/, "").trim()).filter((l) => l !== "");
    const entries = items.map((item, i) => {
      const at = item.lastIndexOf("@");
      const token = at > 0 ? item.slice(0, at) : "";
      const scope = at > 0 ? item.slice(at + 1).split("|").map((s) => s.trim()).filter((s) => s !== "") : [];
      if (token.length < 8 || /\s/.test(token) || scope.length === 0) {
        throw new IngestTokensError(`Entry ${i + 1} of ${origin} is not "token@dataset1|dataset2" or "token@*" with a token of at least 8 characters and no spaces; fix it.`);
      }
      return { digest: digest(token), grant: { label: `token-${i + 1}`, scope: new Set(scope) } };
    });
    entries.forEach((e, i) => {
      const first = entries.findIndex((o) => o.digest.equals(e.digest));
      if (first < i) {
        throw new IngestTokensError(`Entries ${first + 1} and ${i + 1} of ${origin} hold the same token; list it once with all its datasets, as "token@dataset1|dataset2".`);
      }
    });
    return new TokenTable(entries);
  }

  /** Reads `TIDEMARK_INGEST_TOKENS`; no variable means no token is valid. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): TokenTable {
    const value = env.TIDEMARK_INGEST_TOKENS;
    return value === undefined || value.trim() === "" ? new TokenTable([]) : TokenTable.parse(value);
  }

  /** Number of configured tokens. */
  get size(): number {
    return this.entries.length;
  }

  /** The grant of an `Authorization` header value (`Bearer <token>`), or null; a value not remembered as valid is hashed and compared with every entry, in constant time each. */
  check(authorization: string | undefined): Grant | null {
    if (authorization === undefined) return null;
    const known = this.remembered.get(authorization);
    if (known) return known;
    const m = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!m) return null;
    const presented = digest(m[1]);
    let hit: Grant | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, presented) && hit === null) hit = e.grant;
    }
    if (hit) {
      if (this.remembered.size >= TokenTable.MAX_REMEMBERED) this.remembered.clear();
      this.remembered.set(authorization, hit);
    }
    return hit;
  }
}

/** Whether a grant covers the dataset. */
export function allowsDataset(grant: Grant, dataset: string): boolean {
  return grant.scope.has("*") || grant.scope.has(dataset);
}

/** Whether a grant covers the payments API. */
export function allowsPayments(grant: Grant): boolean {
  return grant.scope.has("*") || grant.scope.has("payments");
}
