/** Growable typed storage for column sinks. */

type Typed = Int32Array | Float64Array | Uint8Array;

/** Returns `arr` or a larger copy able to hold `needed` elements. */
export function ensure<T extends Typed>(arr: T, used: number, needed: number): T {
  if (needed <= arr.length) return arr;
  const Ctor = arr.constructor as new (n: number) => T;
  const next = new Ctor(Math.max(needed, arr.length * 2, 1024));
  next.set(arr.subarray(0, used));
  return next;
}

/**
 * Removes from `arr[from, len)` the elements whose `keep[i - from]` is 0, sliding
 * the rest down; `width` elements per row. Returns the new row count.
 */
export function compactRows(arr: Typed, from: number, len: number, keep: Uint8Array, width = 1): number {
  let w = from;
  for (let r = from; r < len; r++) {
    if (!keep[r - from]) continue;
    if (w !== r) for (let k = 0; k < width; k++) arr[w * width + k] = arr[r * width + k];
    w++;
  }
  return w;
}
