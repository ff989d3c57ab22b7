/**
 * PostgreSQL text cannot hold NUL, nor JSON a lone UTF-16 surrogate: both are valid in a provider's JSON (a
 * webhook, a report row, a reconcile snapshot). Every value written to the facts passes through here, so no
 * source of provider strings can produce a fact that could never be stored.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '').toWellFormed() as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storable(key), storable(item)])) as T;
  return value;
}

/** SQLSTATE class 22 (data exception): the value itself is unacceptable; retrying cannot help. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
