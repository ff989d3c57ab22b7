import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ViewerLinks } from '../../src/api/viewer-links.js';

const HOUR = 3_600_000;
const config = (apiToken?: string, viewerLinkSecret?: string) => ({
  apiToken,
  viewerLinkSecret,
  viewerLinkTtlMs: HOUR,
});

describe('viewer links', () => {
  const now = Date.UTC(2026, 10, 23, 10);

  it('open one session until they expire', () => {
    const links = new ViewerLinks(config('admin-token'));
    const { token, expiresAt } = links.mint('algebra-p3', now);
    assert.equal(expiresAt, now + HOUR);
    assert.ok(links.verify(token, 'algebra-p3', now + HOUR - 1));
    assert.ok(!links.verify(token, 'algebra-p3', now + HOUR), 'expired');
    assert.ok(!links.verify(token, 'algebra-p4', now), 'another session');
  });

  it('are accepted by every API process with the same token, and revoked by changing it', () => {
    const { token } = new ViewerLinks(config('admin-token')).mint('s-1', now);
    assert.ok(new ViewerLinks(config('admin-token')).verify(token, 's-1', now));
    assert.ok(!new ViewerLinks(config('new-admin-token')).verify(token, 's-1', now));
    assert.ok(!new ViewerLinks(config('admin-token', 'a-separate-viewer-secret')).verify(token, 's-1', now));
    assert.ok(!new ViewerLinks(config()).verify(token, 's-1', now), 'no token: a random key per process');
  });

  it('refuse tampering: another session or expiry under the same signature, the API token itself, garbage', () => {
    const links = new ViewerLinks(config('admin-token'));
    const [version, , expiry, signature] = links.mint('s-1', now).token.split('.');
    const otherSession = [version, Buffer.from('s-2').toString('base64url'), expiry, signature].join('.');
    const later = [version, Buffer.from('s-1').toString('base64url'), (now + 100 * HOUR).toString(36), signature].join(
      '.',
    );
    for (const token of [otherSession, later, 'admin-token', '', 'v1...', 'v1.a.b.c']) {
      assert.ok(!links.verify(token, 's-1', now) && !links.verify(token, 's-2', now), token);
    }
  });
});
