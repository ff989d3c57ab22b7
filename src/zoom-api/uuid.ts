/**
 * A meeting id or instance UUID as a URL path segment. Zoom's rule: a UUID that begins with `/` or contains `//`
 * must be URL-encoded twice (its gateway decodes once before routing); every other id is encoded once (UUIDs hold
 * `+`, `=` and single `/`).
 */
export function zoomPathId(idOrUuid: string): string {
  const once = encodeURIComponent(idOrUuid);
  return needsDoubleEncoding(idOrUuid) ? encodeURIComponent(once) : once;
}

export function needsDoubleEncoding(idOrUuid: string): boolean {
  return idOrUuid.startsWith('/') || idOrUuid.includes('//');
}
