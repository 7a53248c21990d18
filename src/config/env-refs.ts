/** `${NAME}` references to the worker's environment, expanded inside activities so secrets never reach workflow histories. Pure. */

import { TidemarkError } from "../errors";

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A `${NAME}` reference whose variable is not set where it is expanded (permanent until the worker's environment changes). */
export class MissingEnvReferenceError extends TidemarkError {}

/** `text` without its `${NAME}` references (what is written literally). */
export function withoutEnvReferences(text: string): string {
  return text.replace(REF, "");
}

/** Whether `text` is one or more `${NAME}` references and nothing else. */
export function onlyEnvReferences(text: string): boolean {
  return text !== "" && withoutEnvReferences(text) === "";
}

/** Names referenced as `${NAME}` in `text`, in order of first appearance. */
export function envReferences(text: string): string[] {
  return [...new Set([...text.matchAll(REF)].map((m) => m[1]))];
}

/**
 * Replaces every `${NAME}` in `text` with `env[NAME]`. With `required`, an unset variable throws a
 * {@link MissingEnvReferenceError} naming `where`; otherwise it expands to "".
 */
export function expandEnvReferences(text: string, env: NodeJS.ProcessEnv, options: { required?: boolean; where?: string } = {}): string {
  return text.replace(REF, (_match, name: string) => {
    const value = env[name];
    if (value === undefined && options.required) {
      throw new MissingEnvReferenceError(`${options.where ?? "A value"} references \${${name}}, which is not set in the worker's environment; set ${name} where the worker runs.`);
    }
    return value ?? "";
  });
}
