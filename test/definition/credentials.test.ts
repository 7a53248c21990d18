import { describe, expect, it } from "vitest";
import { literalCredential, literalHeaderSecret } from "../../src/definition/credentials";
import { parseDefinition } from "../../src/definition";
import { seriesDefinitionYaml } from "../support/definitions";

describe("literal credentials in URIs", () => {
  it("are found in user info and secret-named query parameters, unless they are ${NAME} references", () => {
    expect(literalCredential("https://ana:pw@host/x.csv")).toBe("a password in its user info");
    expect(literalCredential("https://host/x.csv?token=abc")).toBe('the query parameter "token"');
    expect(literalCredential("https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=ff")).toBe('the query parameter "X-Amz-Signature"');
    expect(literalCredential("https://host/x.csv?api_key=k1")).toBe('the query parameter "api_key"');
    expect(literalCredential("https://${U}:${P}@host/x.csv?token=${T}&X-Amz-Signature=${S}&page=2")).toBeNull();
    expect(literalCredential("https://${U}@host/x.csv?page=2")).toBeNull();
    expect(literalCredential("file:///data/x.csv")).toBeNull();
  });

  it("are found in a user name alone (a token passed as the user name) and in every secret-looking parameter name", () => {
    expect(literalCredential("https://ghp_SECRETTOKEN0123456789@127.0.0.1:1/x.csv")).toMatch(/^a user name without a password in its user info/);
    expect(literalCredential("https://ana@host/x.csv")).toMatch(/^a user name without a password in its user info/);
    expect(literalCredential("http://reader:${READER_PASS}@host/x.csv")).toBeNull();
    for (const name of ["access_key", "pw", "pwd", "session", "sessionId", "private_key", "client_secret", "auth_token", "api-key", "apikey", "account_key", "sig", "X-Amz-Credential", "passphrase", "key"]) {
      expect(literalCredential(`https://host/x.csv?${name}=v4lue`), name).toBe(`the query parameter ${JSON.stringify(name)}`);
    }
  });

  it("leave ordinary parameter names alone, and every reference", () => {
    for (const name of ["page", "sort_key", "keyword", "monkey", "code", "passport", "x-amz-date", "format"]) {
      expect(literalCredential(`https://host/x.csv?${name}=v4lue`), name).toBeNull();
    }
    expect(literalCredential("https://host/x.csv?access_key=${K}&pw=${P}&session=${S}")).toBeNull();
    expect(literalCredential("https://host/x.csv?%E0%A4%A=1")).toBeNull();
  });

  it("are found in a secret-named header that mixes a literal with a reference", () => {
    expect(literalHeaderSecret("Bearer sk_live_xyz987 ${HOME}")).toBe(true);
    expect(literalHeaderSecret("sk_live_xyz987")).toBe(true);
    expect(literalHeaderSecret("Bearer ${WEBHOOK_TOKEN}")).toBe(false);
    expect(literalHeaderSecret("${WEBHOOK_TOKEN}")).toBe(false);
    expect(literalHeaderSecret("Basic ${B64}")).toBe(false);
  });

  it("are refused in a definition's source.uri without echoing them", () => {
    const yaml = seriesDefinitionYaml({ id: "cred", uri: "https://host/x.csv?token=tok-literal-123", mode: "snapshot" });
    let message = "";
    try {
      parseDefinition(yaml, "cred.yaml");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('cred.yaml: source.uri carries a literal credential (the query parameter "token"); reference worker environment variables instead');
    expect(message).not.toContain("tok-literal-123");
  });
});
