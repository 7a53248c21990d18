/** Turns zod issues into one plain sentence each: file, path inside it, what is expected, what was found. */
import type { z } from "zod";

/** Formats a path like `schema.columns[1].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (out === "" ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** Describes a found value for "(got …)". */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  options?: { _zod: { def: SchemaDef } }[];
}

function unwrap(def: SchemaDef): SchemaDef {
  let d = def;
  for (;;) {
    if ((d.type === "optional" || d.type === "default" || d.type === "nullable") && d.innerType) d = d.innerType._zod.def;
    else if (d.type === "pipe" && d.in) d = d.in._zod.def;
    else if (d.type === "union" && d.options) d = d.options.map((o) => unwrap(o._zod.def)).find((o) => o.type === "object") ?? d.options[0]._zod.def;
    else return d;
  }
}

/** Field names allowed at `path` of `schema`, or undefined when the path does not lead to an object. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let def = unwrap((schema as unknown as { _zod: { def: SchemaDef } })._zod.def);
  for (const seg of path) {
    if (typeof seg === "number" && def.type === "array" && def.element) def = unwrap(def.element._zod.def);
    else if (typeof seg === "string" && def.type === "object" && def.shape?.[seg]) def = unwrap(def.shape[seg]._zod.def);
    else return undefined;
  }
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The first issue of the only union branch whose type matched the value (e.g. the mapping form of
 * `partition_by` given a mapping), so the sentence names the nested field; undefined otherwise.
 */
function matchedBranch(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue | undefined {
  const typeMismatch = (i: z.core.$ZodIssue) => i.path.length === 0 && i.code === "invalid_type";
  const matched = issue.errors.filter((branch) => branch.length > 0 && !branch.some(typeMismatch));
  return matched.length === 1 ? matched[0][0] : undefined;
}

/** One sentence for one zod issue, e.g. `cb.yaml: schema.key is required (a list).` */
export function issueSentence(file: string, issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType): string {
  const path = formatPath(issue.path);
  const where = path === "" ? "the definition" : path;
  const found = valueAt(input, issue.path);
  const got = ` (got ${describeValue(found)})`;
  const missing = found === undefined;
  if (issue.code === "invalid_union") {
    const inner = matchedBranch(issue);
    if (inner) return issueSentence(file, { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, input, schema);
  }
  let text: string;
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      text = missing ? `${where} is required (${expected})` : `${where} must be ${expected}${got}`;
      break;
    }
    case "invalid_value": {
      const options = issue.values.map((v) => String(v)).join(", ");
      text = missing ? `${where} is required (one of ${options})` : `${where} must be one of ${options}${got}`;
      break;
    }
    case "unrecognized_keys": {
      const allowed = allowedKeys(schema, issue.path);
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      text = `${where} has unknown field${issue.keys.length === 1 ? "" : "s"} ${keys}${allowed ? ` (allowed: ${allowed.join(", ")})` : ""}`;
      break;
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.message.startsWith("must ")) text = `${where} ${issue.message}${got}`;
      else if (issue.origin === "array") text = small ? `${where} must have at least ${plural(bound, "item")}` : `${where} must have at most ${plural(bound, "item")}`;
      else if (issue.origin === "string") text = small && bound === 1 ? `${where} must not be empty` : `${where} must be ${small ? "at least" : "at most"} ${plural(bound, "character")} long${got}`;
      else text = `${where} must be ${small ? "at least" : "at most"} ${bound}${got}`;
      break;
    }
    default:
      text = issue.message.startsWith("must ") ? `${where} ${issue.message}${missing ? "" : got}` : `${where} is invalid: ${issue.message}`;
  }
  return `${file}: ${text}.`;
}
