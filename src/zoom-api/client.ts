import { ZoomApiError, zoomError } from './errors.js';
import type { RateLimiter } from './limiter.js';
import type { ZoomTokenCache } from './token.js';

export type Query = Record<string, string | number | undefined>;

/** A 429 is retried in place this many times (the limiter pauses and slows down first); then it is the caller's. */
const RATE_LIMIT_RETRIES = 5;
/**
 * A 401 drops the token and tries again with a new one, up to this many times: a request that waited in the
 * limiter may find even its second token revoked meanwhile; a new token refused at once means the credentials
 * lack something, and the 401 is the caller's.
 */
const UNAUTHORIZED_RETRIES = 3;
/** A 429 asking to wait longer than this (a daily limit) is the caller's at once: no request should sleep that long. */
const MAX_IN_PLACE_WAIT_MS = 5_000;

/**
 * Zoom REST API v2 with a cached server-to-server token; a 401 (token expired or revoked) is retried with a fresh
 * token. With a limiter, every request waits for its slot, and a 429 (per-second limit) tells the limiter and
 * is retried after the pause it sets, up to RATE_LIMIT_RETRIES times.
 */
export class ZoomApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: ZoomTokenCache,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly limiter?: RateLimiter,
  ) {}

  /**
   * `path` starts with `/` and holds its ids already encoded (see zoomPathId); throws ZoomApiError on any non-2xx.
   * `rank`: the request's place in the limiter's queue (lower goes first).
   */
  async get(path: string, query: Query = {}, rank = 0): Promise<unknown> {
    // WHATWG URL keeps percent-escapes in the path as given, so double-encoded UUIDs reach Zoom intact.
    const url = new URL(`${this.baseUrl.replace(/\/+$/, '')}/v2${path}`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    let unauthorized = 0;
    let rateLimited = 0;
    for (;;) {
      // The slot first, then the token: a request may wait in the limiter for a while, and a token read before
      // that wait could be revoked (or expire) by the time the request goes.
      await this.limiter?.take(rank);
      const token = await this.tokens.token();
      const res = await this.fetchImpl(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status === 401 && unauthorized < UNAUTHORIZED_RETRIES) {
        await res.body?.cancel();
        this.tokens.invalidate(token);
        unauthorized += 1;
        continue;
      }
      if (res.ok) return res.json();
      const error = await zoomError(ZoomApiError, res, `GET ${path}`);
      if (error.status === 429 && this.limiter) {
        this.limiter.throttled(error.retryAfterMs);
        rateLimited += 1;
        if (rateLimited <= RATE_LIMIT_RETRIES && (error.retryAfterMs ?? 0) <= MAX_IN_PLACE_WAIT_MS) continue;
      }
      throw error;
    }
  }
}
