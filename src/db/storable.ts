/**
 * PostgreSQL text cannot hold NUL, nor JSON a lone UTF-16 surrogate: both are valid in a provider's JSON (a
 * webhook, a report row, a reconcile snapshot). Every value written to the facts passes through here, so no
 * source of provider strings can produce a fact that could never be stored.
 *
 * Returns `value` itself when no string in it (key or value) needs fixing, which is nearly always: the check reads
 * every string but allocates nothing. Otherwise returns a fixed deep copy, leaving `value` as it was.
 */
export function storable<T>(value: T): T {
  return needsFixing(value) ? fixedCopy(value) : value;
}

const unstorable = (text: string) => text.includes('\u0000') || !text.isWellFormed();

function needsFixing(value: unknown): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(needsFixing);
  for (const key of Object.keys(value))
    if (unstorable(key) || needsFixing((value as Record<string, unknown>)[key])) return true;
  return false;
}

function fixedCopy<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '').toWellFormed() as T;
  if (Array.isArray(value)) return value.map(fixedCopy) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [fixedCopy(key), fixedCopy(item)])) as T;
  return value;
}

/** SQLSTATE class 22 (data exception): the value itself is unacceptable; retrying cannot help. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
