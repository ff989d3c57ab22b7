import { ZoomOAuthError, zoomError } from './errors.js';

export interface ZoomCredentials {
  /** The token endpoint, e.g. https://zoom.us/oauth/token. */
  oauthUrl: string;
  accountId: string;
  clientId: string;
  clientSecret: string;
}

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is not used any more (expiry minus a safety margin). */
  refreshAt: number;
}

/** Refresh this long before expiry (at most a tenth of the lifetime, so short-lived tokens are still used). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * Zoom server-to-server OAuth (account_credentials grant). One token is shared by every request of the process
 * and reused until shortly before it expires; concurrent callers share one token request. `invalidate` drops a
 * token the API refused (401), so the next call fetches a new one.
 */
export class ZoomTokenCache {
  private current: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;
  /** Tokens fetched so far (for logs and tests). */
  fetched = 0;

  constructor(
    private readonly credentials: ZoomCredentials,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAt) return this.current.value;
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    return (await this.pending).value;
  }

  /** Forgets `token` if it is still the cached one (another caller may have refreshed already). */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined;
  }

  private async request(): Promise<CachedToken> {
    const { oauthUrl, accountId, clientId, clientSecret } = this.credentials;
    const url = new URL(oauthUrl);
    url.searchParams.set('grant_type', 'account_credentials');
    url.searchParams.set('account_id', accountId);
    const requestedAt = this.now();
    const res = await this.fetchImpl(url, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw await zoomError(ZoomOAuthError, res, 'Zoom OAuth token');
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number')
      throw new Error('Zoom OAuth token: unexpected response shape');
    const lifetimeMs = body.expires_in * 1000;
    // Counted from when we asked, not when the answer came: the token's clock started at Zoom before that.
    this.current = {
      value: body.access_token,
      refreshAt: requestedAt + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 10),
    };
    this.fetched += 1;
    return this.current;
  }
}
