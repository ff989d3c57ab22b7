import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/index.js';

const VERSION = 'v1';
const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export interface ViewerLink {
  token: string;
  expiresAt: number;
}

/**
 * Read-only, expiring tokens for ONE session's live page: `v1.<session id>.<expiry>.<HMAC-SHA256>`, signed with
 * VIEWER_LINK_SECRET, else a key derived from API_TOKEN (so every API process accepts every other's links and
 * rotating the token revokes them), else a random per-process key (no token: links last until a restart).
 * A viewer token opens that session's live stream and CSV, nothing else (see auth.ts).
 */
export class ViewerLinks {
  private readonly key: Buffer;

  constructor(config: Pick<Config, 'viewerLinkSecret' | 'apiToken' | 'viewerLinkTtlMs'>) {
    this.ttlMs = config.viewerLinkTtlMs;
    if (config.viewerLinkSecret) this.key = Buffer.from(config.viewerLinkSecret);
    else if (config.apiToken) this.key = createHmac('sha256', config.apiToken).update('rollcall viewer links').digest();
    else this.key = randomBytes(32);
  }

  readonly ttlMs: number;

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  mint(sessionId: string, now = Date.now()): ViewerLink {
    const expiresAt = now + this.ttlMs;
    const body = `${VERSION}.${b64url(sessionId)}.${expiresAt.toString(36)}`;
    return { token: `${body}.${this.sign(body)}`, expiresAt };
  }

  /** True when the token was signed here, names this session and has not expired. */
  verify(token: string, sessionId: string, now = Date.now()): boolean {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return false;
    const body = parts.slice(0, 3).join('.');
    const presented = Buffer.from(parts[3]!);
    const expected = Buffer.from(this.sign(body));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return false;
    if (Buffer.from(parts[1]!, 'base64url').toString('utf8') !== sessionId) return false;
    const expiresAt = parseInt(parts[2]!, 36);
    return Number.isFinite(expiresAt) && now < expiresAt;
  }
}
