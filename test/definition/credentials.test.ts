import { describe, expect, it } from "vitest";
import { literalCredential } from "../../src/definition/credentials";
import { parseDefinition } from "../../src/definition";
import { seriesDefinitionYaml } from "../support/definitions";

describe("literal credentials in URIs", () => {
  it("are found in user info and secret-named query parameters, unless they are ${NAME} references", () => {
    expect(literalCredential("https://ana:pw@host/x.csv")).toBe("a password in its user info");
    expect(literalCredential("https://host/x.csv?token=abc")).toBe('the query parameter "token"');
    expect(literalCredential("https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=ff")).toBe('the query parameter "X-Amz-Signature"');
    expect(literalCredential("https://host/x.csv?api_key=k1")).toBe('the query parameter "api_key"');
    expect(literalCredential("https://${U}:${P}@host/x.csv?token=${T}&X-Amz-Signature=${S}&page=2")).toBeNull();
    expect(literalCredential("https://ana@host/x.csv?page=2")).toBeNull();
    expect(literalCredential("file:///data/x.csv")).toBeNull();
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
