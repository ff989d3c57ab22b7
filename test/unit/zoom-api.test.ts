import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZoomApiClient } from '../../src/zoom-api/client.js';
import { parseRetryAfter, ZoomOAuthError, type ZoomApiError } from '../../src/zoom-api/errors.js';
import { RateLimiter } from '../../src/zoom-api/limiter.js';
import { listInstances, participantsPage } from '../../src/zoom-api/reports.js';
import { reportRowEvent } from '../../src/zoom-api/rows.js';
import { ZoomTokenCache, type ZoomCredentials } from '../../src/zoom-api/token.js';
import { zoomPathId } from '../../src/zoom-api/uuid.js';
import { startFakeZoomApi, type FakeZoomApi } from '../support/fake-zoom-api.js';

describe('Zoom UUID path encoding', () => {
  it('encodes ordinary ids and UUIDs once', () => {
    assert.equal(zoomPathId('85746065432'), '85746065432');
    assert.equal(zoomPathId('4444AAAiAAAAAiAiAiiAii=='), '4444AAAiAAAAAiAiAiiAii%3D%3D');
    assert.equal(zoomPathId('ab+c/d=='), 'ab%2Bc%2Fd%3D%3D');
  });

  it('encodes twice a UUID that begins with / or contains //', () => {
    assert.equal(zoomPathId('/ajXp112QmuoKj4854875=='), '%252FajXp112QmuoKj4854875%253D%253D');
    assert.equal(zoomPathId('ab//cd=='), 'ab%252F%252Fcd%253D%253D');
    assert.equal(decodeURIComponent(decodeURIComponent(zoomPathId('ab//cd=='))), 'ab//cd==');
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('2026-01-01T00:01:00Z', now), 60_000);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});

/** A token endpoint stub: counts requests, hands out t1, t2, ... with the given lifetime. */
function tokenEndpoint(expiresIn: number, delayMs = 0) {
  const calls: string[] = [];
  const fetchStub = (async (input: URL, init?: RequestInit) => {
    calls.push(`${input.href} ${(init?.headers as Record<string, string>).authorization}`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return Response.json({ access_token: `t${calls.length}`, token_type: 'bearer', expires_in: expiresIn });
  }) as typeof fetch;
  return { calls, fetchStub };
}

const credentials: ZoomCredentials = {
  oauthUrl: 'https://zoom.test/oauth/token',
  accountId: 'acct',
  clientId: 'id',
  clientSecret: 'secret',
};

/** The fake Zoom API's account, and a token cache for it. */
const FAKE_ACCOUNT = { accountId: 'acct', clientId: 'cid', clientSecret: 'csecret' };
const fakeTokens = (fake: FakeZoomApi, clientSecret = FAKE_ACCOUNT.clientSecret) =>
  new ZoomTokenCache({ oauthUrl: `${fake.url}/oauth/token`, ...FAKE_ACCOUNT, clientSecret });

describe('Zoom OAuth token cache', () => {
  it('asks with the account_credentials grant and Basic client credentials', async () => {
    const { calls, fetchStub } = tokenEndpoint(3599);
    await new ZoomTokenCache(credentials, fetchStub).token();
    assert.deepEqual(calls, [
      `https://zoom.test/oauth/token?grant_type=account_credentials&account_id=acct Basic ${Buffer.from('id:secret').toString('base64')}`,
    ]);
  });

  it('reuses the token until shortly before it expires, then fetches a new one', async () => {
    let now = 1_000_000;
    const { calls, fetchStub } = tokenEndpoint(3599);
    const cache = new ZoomTokenCache(credentials, fetchStub, () => now);
    assert.equal(await cache.token(), 't1');
    now += 3_500_000; // 58m20s: still more than a minute left
    assert.equal(await cache.token(), 't1');
    now += 40_000; // 59m: inside the last minute
    assert.equal(await cache.token(), 't2');
    assert.equal(calls.length, 2);
  });

  it('uses at most a tenth of a short lifetime as the margin', async () => {
    let now = 0;
    const { fetchStub } = tokenEndpoint(10);
    const cache = new ZoomTokenCache(credentials, fetchStub, () => now);
    assert.equal(await cache.token(), 't1');
    now = 8_900;
    assert.equal(await cache.token(), 't1');
    now = 9_100;
    assert.equal(await cache.token(), 't2');
  });

  it('shares one token request among concurrent callers', async () => {
    const { calls, fetchStub } = tokenEndpoint(3599, 20);
    const cache = new ZoomTokenCache(credentials, fetchStub);
    const tokens = await Promise.all([cache.token(), cache.token(), cache.token()]);
    assert.deepEqual(tokens, ['t1', 't1', 't1']);
    assert.equal(calls.length, 1);
  });

  it('drops an invalidated token, but not one a concurrent caller already replaced', async () => {
    const { fetchStub } = tokenEndpoint(3599);
    const cache = new ZoomTokenCache(credentials, fetchStub);
    assert.equal(await cache.token(), 't1');
    cache.invalidate('t1');
    assert.equal(await cache.token(), 't2');
    cache.invalidate('t1');
    assert.equal(await cache.token(), 't2');
  });
});

describe('Zoom API client against the fake', () => {
  let fake: FakeZoomApi;
  const uuids = ['/slash==', 'dbl//slash==', 'plain+x/y=='];
  const tokens = () => fakeTokens(fake);

  before(async () => {
    fake = await startFakeZoomApi({
      ...FAKE_ACCOUNT,
      revokeTokensEvery: 3,
    });
    const row = (n: number) => ({
      person: `p${n}`,
      id: '',
      user_id: `${100 + n}`,
      participant_user_id: '',
      registrant_id: `r${n}`,
      name: `P ${n}`,
      user_email: '',
      join_time: 1_700_000_000_000 + n * 1000,
      leave_time: 1_700_000_600_000,
      status: 'in_meeting' as const,
    });
    fake.add({
      kind: 'webinar',
      id: '900',
      instances: uuids.map((uuid, i) => ({
        uuid,
        startTime: 1_700_000_000_000 + i,
        endTime: 1_700_003_600_000,
        rows: [row(1), row(2)],
      })),
    });
  });
  after(() => fake.close());

  it('reads every instance, double-encoding the UUIDs that need it', async () => {
    const client = new ZoomApiClient(fake.url, tokens());
    const instances = await listInstances(client, 'webinar', '900');
    assert.deepEqual(
      instances.map((i) => i.uuid),
      uuids,
    );
    for (const { uuid } of instances) {
      const page = await participantsPage(client, 'webinar', 'report', uuid);
      assert.equal(page.rows.length, 2, uuid);
      assert.equal(page.rows[0]!.registrant_id, 'r1', 'include_fields=registrant_id was asked for');
    }
    assert.equal(fake.stats.badlyEncoded, 0);
  });

  it('gets 404 for a UUID with // that was encoded once (the fake enforces the rule)', async () => {
    const client = new ZoomApiClient(fake.url, tokens());
    await assert.rejects(
      client.get(`/report/webinars/${encodeURIComponent('dbl//slash==')}/participants`),
      (error: ZoomApiError) => error.status === 404 && error.code === 3001,
    );
    assert.equal(fake.stats.badlyEncoded, 1);
  });

  it('refreshes the token on 401 and retries once', async () => {
    const cache = tokens();
    const client = new ZoomApiClient(fake.url, cache);
    const unauthorizedBefore = fake.stats.unauthorized;
    for (let i = 0; i < 6; i++) await listInstances(client, 'webinar', '900'); // the fake revokes every token each 3 requests
    assert.ok(fake.stats.unauthorized > unauthorizedBefore, 'a revoked token was refused');
    assert.equal(cache.fetched, 1 + (fake.stats.unauthorized - unauthorizedBefore));
  });

  it('says which kind an id is not (404 code 3001)', async () => {
    await assert.rejects(
      listInstances(new ZoomApiClient(fake.url, tokens()), 'meeting', '900'),
      (error: ZoomApiError) => error.status === 404 && error.code === 3001,
    );
  });

  it('reports refused credentials as an OAuth error', async () => {
    const bad = fakeTokens(fake, 'wrong');
    await assert.rejects(
      new ZoomApiClient(fake.url, bad).get('/past_webinars/900/instances'),
      (error: Error) => error instanceof ZoomOAuthError && error.status === 400,
    );
  });
});

/**
 * A limiter on a clock of the test's own: sleepers wake one at a time in order of their wake-up time, the clock
 * jumping to it, so pacing is exact and instant.
 */
function clockedLimiter(perSecond: number) {
  let now = 1_000_000;
  const timers: Array<{ at: number; wake: () => void }> = [];
  const fire = () =>
    setImmediate(() => {
      timers.sort((a, b) => a.at - b.at);
      const timer = timers.shift();
      if (!timer) return;
      now = Math.max(now, timer.at);
      timer.wake();
      if (timers.length > 0) fire();
    });
  const sleep = (ms: number) =>
    new Promise<void>((wake) => {
      timers.push({ at: now + ms, wake });
      if (timers.length === 1) fire();
    });
  const limiter = new RateLimiter({ perSecond, now: () => now, sleep });
  return { limiter, now: () => now, advance: (ms: number) => (now += ms) };
}

describe('account rate limiter', () => {
  it('spaces requests 5 % wider than the limit, so no one-second window gets more than it allows', async () => {
    const { limiter, now } = clockedLimiter(40);
    const grants: number[] = [];
    for (let i = 0; i < 200; i++) {
      await limiter.take();
      grants.push(now());
    }
    const gaps = grants.slice(1).map((t, i) => t - grants[i]!);
    assert.ok(
      gaps.every((gap) => Math.abs(gap - 26.25) < 1e-6),
      `every gap 26.25 ms: ${gaps.slice(0, 5).join(', ')}`,
    );
    for (let i = 0; i + 40 < grants.length; i++)
      assert.ok(grants[i + 40]! - grants[i]! > 1_000, 'never 41 requests within a second');
  });

  it('holds back slots that came due during a stall, so no second gets more than the limit, and catches up', async () => {
    const { limiter, now, advance } = clockedLimiter(40);
    const start = now();
    const grants: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        limiter.take().then(() => {
          grants.push(now() - start);
          // The event loop stalls for half a second: every timer due meanwhile fires late, at once.
          if (i === 9) advance(500);
        }),
      ),
    );
    for (let i = 0; i + 40 < grants.length; i++)
      assert.ok(grants[i + 40]! - grants[i]! >= 1_000, `41 requests within a second from ${grants[i]} ms`);
    assert.ok(grants.at(-1)! <= 199 * 26.25 + 60, `the pace caught up after the stall: last at ${grants.at(-1)} ms`);
  });

  it('serves concurrent callers in turn at the same pace', async () => {
    const { limiter, now } = clockedLimiter(10);
    const start = now();
    const grants: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => limiter.take().then(() => grants.push(now() - start))));
    assert.deepEqual(grants, [0, 105, 210, 315, 420]);
  });

  it('serves the lowest rank first, callers of one rank in the order they asked', async () => {
    const { limiter } = clockedLimiter(10);
    await limiter.take();
    const order: string[] = [];
    const ask = (name: string, rank: number) => limiter.take(rank).then(() => order.push(name));
    await Promise.all([ask('a', 5), ask('b', 0), ask('c', 5), ask('d', 1), ask('e', 0)]);
    assert.deepEqual(order, ['b', 'e', 'd', 'a', 'c']);
  });

  it('pauses everyone after a 429, slows down by a quarter once per pause when 429s persist, and recovers second by second', async () => {
    const { limiter, now, advance } = clockedLimiter(40);
    await limiter.take();
    limiter.throttled(); // a lone 429 (jitter): the pause only
    assert.equal(limiter.stats.rate, 40);
    await limiter.take();
    limiter.throttled(2_000); // another soon after: the limit is lower than the rate
    limiter.throttled(2_000); // the same burst refused twice: one decrease
    assert.equal(limiter.stats.rate, 30);
    const before = now();
    await limiter.take();
    assert.ok(now() - before >= 2_000, 'waited out Retry-After');
    limiter.throttled(); // no Retry-After: half a second
    const paused = now();
    await limiter.take();
    assert.equal(now() - paused, 500);
    assert.equal(limiter.stats.rate, 22.5);
    for (let second = 0; second < 10; second++) {
      advance(1_000);
      await limiter.take();
    }
    assert.equal(limiter.stats.rate, 40, 'back at the ceiling (+2/s each quiet second), never above');
    advance(10_000);
    limiter.throttled(); // long after the last pause: a lone 429 again
    assert.equal(limiter.stats.rate, 40);
    assert.equal(limiter.stats.throttled, 5);
  });

  it('sends a caller that slept into a pause to the back of it', async () => {
    const { limiter, now } = clockedLimiter(1);
    await limiter.take(); // the next slot is 1,050 ms away
    const waiting = limiter.take().then(() => now());
    limiter.throttled(5_000);
    assert.ok((await waiting) >= 1_000_000 + 5_000);
  });
});

describe('Zoom API client under a per-second limit', () => {
  let fake: FakeZoomApi;
  const tokens = () => fakeTokens(fake);

  before(async () => {
    fake = await startFakeZoomApi({
      ...FAKE_ACCOUNT,
      rateLimit: { perSecond: 20, retryAfter: 'never' },
    });
    fake.add({
      kind: 'webinar',
      id: '901',
      instances: [{ uuid: 'only==', startTime: 1_700_000_000_000, endTime: 1_700_003_600_000, rows: [] }],
    });
  });
  after(() => fake.close());

  it('paced at the limit, is never refused', async () => {
    const client = new ZoomApiClient(fake.url, tokens(), fetch, new RateLimiter({ perSecond: 20 }));
    const refusedBefore = fake.stats.rateLimitedWithoutRetryAfter;
    const started = Date.now();
    await Promise.all(Array.from({ length: 50 }, () => listInstances(client, 'webinar', '901')));
    assert.equal(fake.stats.rateLimitedWithoutRetryAfter, refusedBefore, 'no 429');
    assert.ok(Date.now() - started >= 49 * 52, 'paced, not sent at once');
  });

  it('paced above the limit, absorbs the 429s and slows down', async () => {
    const limiter = new RateLimiter({ perSecond: 60 });
    const client = new ZoomApiClient(fake.url, tokens(), fetch, limiter);
    const refusedBefore = fake.stats.rateLimitedWithoutRetryAfter;
    const answers = await Promise.all(Array.from({ length: 60 }, () => listInstances(client, 'webinar', '901')));
    assert.equal(answers.length, 60, 'every request answered');
    assert.ok(fake.stats.rateLimitedWithoutRetryAfter > refusedBefore, 'the fake refused some');
    assert.ok(limiter.stats.throttled > 0 && limiter.stats.rate < 60, JSON.stringify(limiter.stats));
  });

  it('without a limiter, hands the 429 to the caller', async () => {
    const client = new ZoomApiClient(fake.url, tokens());
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => listInstances(client, 'webinar', '901')));
    assert.ok(results.some((result) => result.status === 'rejected' && (result.reason as ZoomApiError).status === 429));
  });
});

describe('report rows as events', () => {
  const row = {
    id: undefined,
    user_id: '16778240',
    participant_user_id: undefined,
    participant_uuid: undefined,
    registrant_id: 'reg-1',
    name: 'Ann',
    user_email: ' Ann@Example.com ',
    join_time: '2026-01-01T10:00:00Z',
    leave_time: '2026-01-01T10:30:00Z',
    duration: 1800,
    status: 'in_meeting',
  };

  it('is one whole cycle keyed by its facts, on the webhook connection rule, with the most stable guest key', () => {
    const event = reportRowEvent('uuid-1', row)!;
    assert.deepEqual(
      { ...event, key: undefined },
      {
        kind: 'report-row',
        key: undefined,
        at: Date.parse('2026-01-01T10:00:00Z'),
        leftAt: Date.parse('2026-01-01T10:30:00Z'),
        source: 'report',
        instance: 'uuid-1',
        connection: '16778240',
        person: { guestKey: 'reg-1', email: 'Ann@Example.com', providerUserIds: ['reg-1'], name: 'Ann' },
        registrantId: 'reg-1',
      },
    );
    // Stored facts are keyed by it: the key of a row must never change.
    assert.equal(event.key, 'zoom:Io_JbJpENw8Ot_TeMOxtit');
    assert.equal(reportRowEvent('uuid-1', { ...row })!.key, event.key, 'the same row gives the same key');
    assert.notEqual(reportRowEvent('uuid-2', row)!.key, event.key, 'another instance gives another key');
    assert.notEqual(reportRowEvent('uuid-1', { ...row, leave_time: '2026-01-01T10:31:00Z' })!.key, event.key);
    assert.equal(reportRowEvent('uuid-1', { ...row, participant_uuid: 'pu-1' })!.connection, 'pu-1');
    assert.equal(
      reportRowEvent('uuid-1', { ...row, participant_user_id: 'zu-1', id: 'zu-1' })!.person.guestKey,
      'zu-1',
    );
    assert.equal(
      reportRowEvent('uuid-1', { ...row, registrant_id: undefined })!.person.guestKey,
      'email:ann@example.com',
    );
  });

  it('skips waiting-room rows and rows with no time, and ends a row without leave_time by its duration', () => {
    assert.equal(reportRowEvent('u', { ...row, status: 'in_waiting_room' }), undefined);
    assert.equal(reportRowEvent('u', { ...row, join_time: undefined }), undefined);
    assert.equal(reportRowEvent('u', { ...row, leave_time: undefined, duration: undefined }), undefined);
    assert.equal(reportRowEvent('u', { ...row, leave_time: undefined })!.leftAt, Date.parse('2026-01-01T10:30:00Z'));
  });
});
