import { describe, expect, it } from "vitest";
import { DefinitionError, parseDefinition, validateDefinitionObject } from "../../src/definition";
import { pushDefinitionYaml } from "../support/definitions";

const PUSH = pushDefinitionYaml("clicks");

function problems(text: string): string[] {
  try {
    parseDefinition(text, "d.yaml");
  } catch (err) {
    if (err instanceof DefinitionError) return [...err.problems];
    throw err;
  }
  return [];
}

describe("push source in a definition", () => {
  it("accepts source: { push: {} } with a key and reads fragments as NDJSON", () => {
    const def = parseDefinition(PUSH, "d.yaml");
    expect(def.source).toMatchObject({ uri: "push:clicks", format: "ndjson", push: {} });
    expect(validateDefinitionObject(def, "again")).toEqual(def);
  });

  it("keeps a backlog bound given in the definition", () => {
    const def = parseDefinition(PUSH.replace("push: {}", "push: { max_backlog_bytes: 1000 }"), "d.yaml");
    expect(def.source.push).toEqual({ max_backlog_bytes: 1000 });
  });

  it.each([
    ["push with a uri", PUSH.replace("push: {}", 'push: {}, uri: "file:///x.csv"'), "d.yaml: source.uri cannot be combined with source.push; a push dataset receives its records over HTTP."],
    ["push with a format", PUSH.replace("push: {}", "push: {}, format: csv"), "d.yaml: source.format cannot be combined with source.push; pushed records are JSON objects."],
    ["neither uri nor push", PUSH.replace("push: {}", ""), "d.yaml: source needs a uri (file://, s3://, https:// or http://) or push: {} for records sent to tidemark serve."],
    ["a push dataset named payments (the payments API's token scope)", pushDefinitionYaml("payments"), 'd.yaml: id cannot be "payments" for a push dataset: "payments" in a token\'s scope (TIDEMARK_INGEST_TOKENS) grants the payments API; rename the dataset.'],
  ])("rejects %s", (_what, text, message) => {
    expect(problems(text)).toEqual([message]);
  });
});
