import { join } from "node:path";
import type { BadInputCase } from "./run-case";
import { GOOD_CSV, SERIES_SCHEMA } from "./harness";

/** Cases where the definition or the dataset id is wrong. */
export const DEFINITION_CASES: BadInputCase[] = [
  {
    name: "a definition file that is not valid YAML",
    dataset: "bi_yaml",
    setup: (bench) => bench.file("broken.yaml", ["id: bi_yaml", 'source: { uri: "file:///data/x.csv", format: csv', ...SERIES_SCHEMA, ""].join("\n")),
    expectedError: (bench) => `${join(bench.dir, "broken.yaml")}: invalid YAML at line 3, column 1: Flow map in block collection must be sufficiently indented and end with a }.`,
    exit: 1,
    type: null,
  },
  {
    name: "a definition that fails the schema",
    dataset: "bi_schema",
    setup: (bench) =>
      bench.file("schema.yaml", ["id: bi_schema", 'source: { uri: "file:///data/x.csv", format: csv }', ...SERIES_SCHEMA, ""].join("\n").replace("type: double", "type: float")),
    expectedError: (bench) => `${join(bench.dir, "schema.yaml")}: schema.columns[2].type must be one of string, int, double, decimal, bool, date, timestamp (got "float").`,
    exit: 1,
    type: null,
  },
  {
    name: "an unknown dataset id",
    dataset: "bi_unknown",
    setup: (bench) => {
      bench.define("bi_known", bench.source("known.csv", GOOD_CSV));
      return "bi_unknown";
    },
    expectedError: (bench) => `Ingest of bi_unknown failed: No dataset definition with id "bi_unknown" in ${bench.datasetsDir} (found "bi_known"); add a .yaml file for it or set TIDEMARK_DATASETS to the right directory.`,
    exit: 1,
    type: "DefinitionNotFoundError",
  },
  {
    name: "a dataset id with ../",
    dataset: "../bi_escape",
    setup: () => "../bi_escape",
    expectedError: "../bi_escape: the definition file does not exist.",
    exit: 1,
    type: null,
  },
  {
    name: "a dataset id that is ..",
    dataset: "..",
    setup: () => "..",
    expectedError: 'Dataset id ".." is invalid: use 1–128 characters from a-z, 0-9, "_", "." and "-", starting with a letter or digit (e.g. "cb_series").',
    exit: 1,
    type: null,
  },
];
