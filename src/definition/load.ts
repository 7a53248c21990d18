/** Loading dataset definitions from YAML/JSON text, files and directories. */
import { readFile, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { YAMLParseError, parse as parseYaml } from "yaml";
import { DefinitionError, DefinitionNotFoundError } from "./errors.js";
import { validateDatasetId } from "./id.js";
import { issueSentence } from "./issues.js";
import { type DatasetDefinition, definitionSchema } from "./schema.js";
import { checkSemantics } from "./semantics.js";

const DEFINITION_FILE = /\.(ya?ml|json)$/i;

function yamlProblem(fileLabel: string, err: YAMLParseError): string {
  const reason = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "").replace(/\.$/, "");
  const pos = err.linePos?.[0];
  const at = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
  return `${fileLabel}: invalid YAML${at}: ${reason}.`;
}

/**
 * Parses and validates definition text (YAML or JSON). `fileLabel` names the file
 * in error messages. Throws {@link DefinitionError} listing every problem found.
 */
export function parseDefinition(text: string, fileLabel: string): DatasetDefinition {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof YAMLParseError) throw new DefinitionError(fileLabel, [yamlProblem(fileLabel, err)], { cause: err });
    throw err;
  }
  if (raw === null || raw === undefined) {
    throw new DefinitionError(fileLabel, [`${fileLabel}: the file is empty; a definition needs at least id, source and schema.`]);
  }
  return validateDefinitionObject(raw, fileLabel);
}

/**
 * Validates an already-parsed definition (e.g. one passed in a workflow input)
 * exactly like a file's content, applying defaults. Idempotent on its own output.
 * `label` names the origin in error messages.
 */
export function validateDefinitionObject(raw: unknown, label: string): DatasetDefinition {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? "a list" : raw === null ? "null" : raw === undefined ? "nothing" : `a ${typeof raw}`;
    throw new DefinitionError(label, [`${label}: the definition must be a mapping with id, source and schema (got ${got}).`]);
  }
  const result = definitionSchema.safeParse(raw);
  if (!result.success) {
    throw new DefinitionError(
      label,
      result.error.issues.map((issue) => issueSentence(label, issue, raw, definitionSchema)),
    );
  }
  const checked = checkSemantics(result.data, raw as Record<string, unknown>);
  if (Array.isArray(checked)) throw new DefinitionError(label, checked.map((p) => `${label}: ${p}.`));
  return checked;
}

/** Reads and validates one definition file; errors name the file as given in `path`. */
export async function loadDefinitionFile(path: string): Promise<DatasetDefinition> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? String(err)})`;
    throw new DefinitionError(path, [`${path}: the definition file ${why}.`], { cause: err });
  }
  return parseDefinition(text, path);
}

interface DirLoad {
  readonly defs: DatasetDefinition[];
  readonly problems: string[];
}

async function loadDir(dir: string): Promise<DirLoad> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && DEFINITION_FILE.test(e.name)).map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "ENOTDIR" ? "is not a directory" : `cannot be read (${code ?? String(err)})`;
    throw new DefinitionError(dir, [`${dir}: the definitions directory ${why}; set TIDEMARK_DATASETS to a directory of dataset .yaml files.`], { cause: err });
  }
  entries.sort();
  const problems: string[] = [];
  const byId = new Map<string, string>();
  const defs: DatasetDefinition[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    try {
      const def = await loadDefinitionFile(path);
      const first = byId.get(def.id);
      if (first !== undefined) {
        problems.push(`${path}: id "${def.id}" is already defined in ${basename(first)}; dataset ids must be unique.`);
        continue;
      }
      byId.set(def.id, path);
      defs.push(def);
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      problems.push(...err.problems);
    }
  }
  return { defs, problems };
}

/**
 * Loads every `*.yaml`, `*.yml` and `*.json` file of `dir` (not recursive), sorted
 * by file name. Ids must be unique across files; file names need not match ids.
 * Problems of all files are reported together in one {@link DefinitionError}.
 */
export async function loadDefinitionsDir(dir: string): Promise<DatasetDefinition[]> {
  const { defs, problems } = await loadDir(dir);
  if (problems.length > 0) throw new DefinitionError(dir, problems);
  return defs;
}

/**
 * The definition with `id` in `dir`. The id is validated before any I/O. Broken
 * files defining other datasets do not prevent finding a valid one; when `id` is
 * not among the valid definitions, the broken files' problems are raised as a
 * {@link DefinitionError}, otherwise {@link DefinitionNotFoundError}.
 */
export async function findDefinition(dir: string, id: string): Promise<DatasetDefinition> {
  validateDatasetId(id);
  const { defs, problems } = await loadDir(dir);
  const hit = defs.find((d) => d.id === id);
  if (hit) return hit;
  if (problems.length > 0) throw new DefinitionError(dir, problems);
  throw new DefinitionNotFoundError(id, dir, defs.map((d) => d.id));
}
