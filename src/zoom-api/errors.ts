/** A Zoom API answer other than 2xx, with Zoom's own error code when the body carried one. */
export class ZoomApiError extends Error {
  override name = 'ZoomApiError';

  constructor(
    readonly status: number,
    /** Zoom's `code` (e.g. 124 invalid token, 300 page token expired, 3001 not found); undefined when absent. */
    readonly code: number | undefined,
    message: string,
    /** From `Retry-After` (seconds or a date), when the answer carried one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The OAuth token endpoint refused or failed: about the credentials, never about the meeting asked for. */
export class ZoomOAuthError extends ZoomApiError {
  override name = 'ZoomOAuthError';
}

/** Reads a failed answer into the error class given (Zoom bodies: `{code, message}`; OAuth: `{reason, error}`). */
export async function zoomError<E extends ZoomApiError>(
  ErrorClass: new (...args: ConstructorParameters<typeof ZoomApiError>) => E,
  res: Response,
  what: string,
  nowMs = Date.now(),
): Promise<E> {
  const text = await res.text().catch(() => '');
  let body: { code?: unknown; message?: unknown; reason?: unknown; error?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  const code = typeof body.code === 'number' ? body.code : undefined;
  const detail =
    [body.message, body.reason, body.error].find((v): v is string => typeof v === 'string') ?? text.slice(0, 200);
  const message = `${what}: HTTP ${res.status}${code === undefined ? '' : ` code ${code}`} ${detail}`.trim();
  return new ErrorClass(res.status, code, message, parseRetryAfter(res.headers.get('retry-after'), nowMs));
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP/ISO date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
