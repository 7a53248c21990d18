/** Dataset ids accepted by Tidemark (SPEC §2). */
export const DATASET_ID_RE = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
