/** Row indices grouped by an Int32 key (e.g. yyyymm), in ascending key order; each group keeps row order. */
export function groupRows(keys: Int32Array): Map<number, Int32Array> {
  const counts = new Map<number, number>();
  for (let i = 0; i < keys.length; i++) counts.set(keys[i], (counts.get(keys[i]) ?? 0) + 1);
  const groups = new Map<number, Int32Array>();
  const fill = new Map<number, number>();
  for (const key of [...counts.keys()].sort((a, b) => a - b)) {
    groups.set(key, new Int32Array(counts.get(key)!));
    fill.set(key, 0);
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const at = fill.get(k)!;
    groups.get(k)![at] = i;
    fill.set(k, at + 1);
  }
  return groups;
}
