/**
 * Cursor pagination, as at the provider: a page of at most `limit` items in the list's fixed order and
 * `hasMore`; the next page starts after the last ID of this one. IDs are time-sortable, so a cursor is
 * an ID and pages stay stable while new rows arrive.
 */
export interface PageRequest {
  limit: number;
  startingAfter?: string | null | undefined;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

export const DEFAULT_PAGE_LIMIT = 10;
export const MAX_PAGE_LIMIT = 100;

export function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? DEFAULT_PAGE_LIMIT), 1), MAX_PAGE_LIMIT);
}

/** Services fetch `limit + 1` rows; the extra one only says whether there is more. */
export function toPage<T>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}
