/**
 * Which projection month files a version writes (pure): the touched months of every projection of
 * the definition, and every live month of a projection the parent version does not have yet (built
 * from a projection the parent has: all projections hold the same latest state).
 */

/** One projection month file a version writes. */
export interface ProjectionMonthPlan {
  projection: string;
  /** YYYY-MM. */
  month: string;
  /** The parent's file of this month to start from (path relative to the dataset root), if any. */
  base: { path: string; rows: number } | null;
  /** Whether the version's changes touch the month; an untouched month is a copy of `base`. */
  touched: boolean;
}

/** The projection months of a parent version: name → YYYY-MM → file. */
export type ParentProjections = Record<string, Record<string, { path: string; rows: number }>>;

/** The projection month files a version writes, in definition order then month order. */
export function planProjectionMonths(projections: string[], parent: ParentProjections | null, touched: string[]): ProjectionMonthPlan[] {
  const plan: ProjectionMonthPlan[] = [];
  const touchedSet = new Set(touched);
  for (const projection of projections) {
    const own = parent?.[projection];
    const from = parentMonths(parent, projection);
    const months = own ? [...touchedSet] : [...new Set([...touchedSet, ...Object.keys(from)])];
    for (const month of months.sort()) plan.push({ projection, month, base: from[month] ? { path: from[month].path, rows: from[month].rows } : null, touched: touchedSet.has(month) });
  }
  return plan;
}

/** The parent's months of `preferred`, or of the projection a new one is built from when the parent lacks it. */
export function parentMonths(parent: ParentProjections | null, preferred: string): Record<string, { path: string; rows: number }> {
  if (!parent) return {};
  const reference = Object.keys(parent).sort()[0];
  return parent[preferred] ?? (reference !== undefined ? parent[reference] : {});
}
