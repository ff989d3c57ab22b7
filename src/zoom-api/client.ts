import { ZoomApiError, zoomError } from './errors.js';
import type { ZoomTokenCache } from './token.js';

export type Query = Record<string, string | number | undefined>;

/** Zoom REST API v2 with a cached server-to-server token; a 401 (token expired or revoked) is retried once with a fresh token. */
export class ZoomApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: ZoomTokenCache,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** `path` starts with `/` and holds its ids already encoded (see zoomPathId); throws ZoomApiError on any non-2xx. */
  async get(path: string, query: Query = {}): Promise<unknown> {
    // WHATWG URL keeps percent-escapes in the path as given, so double-encoded UUIDs reach Zoom intact.
    const url = new URL(`${this.baseUrl.replace(/\/+$/, '')}/v2${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.token();
      const res = await this.fetchImpl(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
      if (res.status === 401 && attempt === 1) {
        await res.body?.cancel();
        this.tokens.invalidate(token);
        continue;
      }
      if (!res.ok) throw await zoomError(ZoomApiError, res, `GET ${path}`);
      return res.json();
    }
  }
}
