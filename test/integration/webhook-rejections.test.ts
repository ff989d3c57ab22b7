import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { listen } from '../../src/api/server.js';
import { createPool } from '../../src/db/pool.js';
import { freePort } from '../../src/infra/ports.js';
import { createClient } from '../../src/infra/temporal-client.js';
import { createLogger } from '../../src/logger.js';
import { adHocSessionId } from '../../src/sessions/routing.js';
import { presenceQuery } from '../../src/workflows/messages.js';
import { LIVEKIT_KEY, LIVEKIT_SECRET, PROVIDER_SETTINGS, ZOOM_SECRET, pastMinute } from '../support/scenario.js';
import {
  livekitParticipantJoined,
  livekitRequest,
  signLiveKit,
  signZoom,
  zoomParticipantJoined,
  zoomRequest,
} from '../support/sign.js';
import { eventually, relayed, startSystem, testConfig, type TestSystem } from '../support/system.js';

interface Answer {
  status: number;
  body: { error?: string; status?: string; encryptedToken?: string; plainToken?: string };
}

async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Counts of everything a webhook could change: the room facts, sessions, and workflows on this task queue. */
async function stateOf(system: TestSystem) {
  const { rows } = await system.pool.query<{ facts: string; sessions: string }>(
    'SELECT (SELECT count(*) FROM room_facts) AS facts, (SELECT count(*) FROM sessions) AS sessions',
  );
  const { count: workflows } = await system.client.workflow.count(`TaskQueue = '${system.config.temporal.taskQueue}'`);
  return { ...rows[0], workflows };
}

describe('webhooks that must be refused', () => {
  let system: TestSystem;
  const joined = zoomParticipantJoined({
    meetingId: '555',
    uuid: 'rejections==',
    userId: 'x1',
    joinTime: pastMinute(5),
  });
  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  it('answers 401/400/413 with a reason and 200 for well-signed unknown events, changing nothing', async () => {
    const before = await stateOf(system);
    const zoomUrl = `${system.api.url}/webhooks/zoom`;
    const livekitUrl = `${system.api.url}/webhooks/livekit`;
    const good = zoomRequest(joined, ZOOM_SECRET);

    const badSignature = await post(zoomUrl, good.body, { ...good.headers, 'x-zm-signature': `v0=${'0'.repeat(64)}` });
    assert.deepEqual([badSignature.status, badSignature.body.error], [401, 'signature rejected: bad-signature']);

    const missing = await post(zoomUrl, good.body, { 'content-type': 'application/json' });
    assert.equal(missing.status, 401);

    const staleTs = Math.floor(Date.now() / 1000) - 6 * 60;
    const stale = await post(
      zoomUrl,
      good.body,
      signZoom(good.body, ZOOM_SECRET, staleTs) as unknown as Record<string, string>,
    );
    assert.deepEqual([stale.status, stale.body.error], [401, 'signature rejected: stale-timestamp']);

    const tampered = await post(
      zoomUrl,
      good.body.replace('x1', 'x2'),
      good.headers as unknown as Record<string, string>,
    );
    assert.equal(tampered.status, 401);

    const notJson = '{"event": "meeting.participant_joined", ';
    const malformedJson = await post(
      zoomUrl,
      notJson,
      signZoom(notJson, ZOOM_SECRET) as unknown as Record<string, string>,
    );
    assert.deepEqual([malformedJson.status, malformedJson.body.error], [400, 'body is not valid JSON']);

    const noJoinTime = structuredClone(joined) as { payload: { object: { participant: Record<string, unknown> } } };
    noJoinTime.payload.object.participant.join_time = 'yesterday';
    const malformed = zoomRequest(noJoinTime, ZOOM_SECRET);
    const invalid = await post(zoomUrl, malformed.body, malformed.headers as unknown as Record<string, string>);
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error ?? '', /payload\.object\.participant\.join_time/);

    const unknown = zoomRequest(
      { event: 'meeting.sharing_started', event_ts: Date.now(), payload: { object: {} } },
      ZOOM_SECRET,
    );
    const ignored = await post(zoomUrl, unknown.body, unknown.headers as unknown as Record<string, string>);
    assert.deepEqual([ignored.status, ignored.body.status], [200, 'ignored']);

    const huge = JSON.stringify({ event: 'meeting.participant_joined', padding: 'x'.repeat(300 * 1024) });
    const oversized = await post(zoomUrl, huge, signZoom(huge, ZOOM_SECRET) as unknown as Record<string, string>);
    assert.equal(oversized.status, 413);

    const lkBody = livekitParticipantJoined({ identity: 'z', joinedAt: pastMinute(5), roomName: 'rejections' });
    const wrongSecret = await livekitRequest(lkBody, LIVEKIT_KEY, 'another-secret-that-is-long-enough-000');
    assert.equal(
      (await post(livekitUrl, wrongSecret.body, wrongSecret.headers as unknown as Record<string, string>)).status,
      401,
    );
    const signedOther = await signLiveKit('{"event":"room_started"}', LIVEKIT_KEY, LIVEKIT_SECRET);
    const replayedToken = await post(
      livekitUrl,
      JSON.stringify(lkBody),
      signedOther as unknown as Record<string, string>,
    );
    assert.deepEqual([replayedToken.status, replayedToken.body.error], [401, 'signature rejected: body-mismatch']);
    const lkUnknown = await livekitRequest(
      { event: 'track_published', id: 'EV_x', createdAt: '1' },
      LIVEKIT_KEY,
      LIVEKIT_SECRET,
    );
    assert.equal(
      (await post(livekitUrl, lkUnknown.body, lkUnknown.headers as unknown as Record<string, string>)).status,
      200,
    );

    assert.deepEqual(await stateOf(system), before);
  });

  it('keeps well-signed payloads that fail validation as dead letters, and nothing unsigned', async () => {
    const zoomUrl = `${system.api.url}/webhooks/zoom`;
    const marker = `dead-letter-${Date.now()}`;
    const badTime = structuredClone(joined) as {
      payload: { object: { topic: string; participant: Record<string, unknown> } };
    };
    badTime.payload.object.topic = marker;
    badTime.payload.object.participant.join_time = 'not a time';
    const signed = zoomRequest(badTime, ZOOM_SECRET);
    assert.equal((await post(zoomUrl, signed.body, signed.headers as unknown as Record<string, string>)).status, 400);
    const unsigned = await post(zoomUrl, signed.body.replace(marker, `${marker}-unsigned`), {
      'content-type': 'application/json',
    });
    assert.equal(unsigned.status, 401);

    const listed = await fetch(`${system.api.url}/api/dead-letters?limit=10`);
    const { deadLetters } = (await listed.json()) as {
      deadLetters: Array<{ provider: string; reason: string; body: string }>;
    };
    const ours = deadLetters.filter((letter) => letter.body.includes(marker));
    assert.equal(ours.length, 1);
    assert.equal(ours[0]?.provider, 'zoom');
    assert.equal(ours[0]?.body, signed.body);
    assert.match(ours[0]?.reason ?? '', /join_time/);
  });

  it('answers Zoom url_validation with the HMAC of the plain token', async () => {
    const validation = zoomRequest(
      { event: 'endpoint.url_validation', event_ts: Date.now(), payload: { plainToken: 'abc123' } },
      ZOOM_SECRET,
    );
    const answer = await post(
      `${system.api.url}/webhooks/zoom`,
      validation.body,
      validation.headers as unknown as Record<string, string>,
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      plainToken: 'abc123',
      encryptedToken: createHmac('sha256', ZOOM_SECRET).update('abc123').digest('hex'),
    });
  });

  it('refuses Zoom webhooks with 401 when no secret is configured', async () => {
    const unconfigured = await startSystem({});
    try {
      const good = zoomRequest(joined, ZOOM_SECRET);
      const res = await post(
        `${unconfigured.api.url}/webhooks/zoom`,
        good.body,
        good.headers as unknown as Record<string, string>,
      );
      assert.equal(res.status, 401);
    } finally {
      await unconfigured.stop();
    }
  });

  // Temporal is no longer on the webhook's path: the 200 means the fact is committed in PostgreSQL, and the
  // relay delivers it once a process that can reach Temporal runs its next round (here the system's own API).
  it('answers 200 within Zoom’s 3 s and keeps the fact when Temporal cannot be reached; the relay delivers it later', async () => {
    const config = testConfig({ ...PROVIDER_SETTINGS, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const pool = createPool(config.databaseUrl!);
    const temporal = createClient(config);
    const api = await listen({ config, pool, temporal, logger: createLogger('test', 'silent') }, 0, '127.0.0.1');
    const uuid = `temporal-down-${Date.now()}==`;
    try {
      const good = zoomRequest(
        zoomParticipantJoined({ meetingId: '556', uuid, userId: 'x9', joinTime: pastMinute(5) }),
        ZOOM_SECRET,
      );
      const started = Date.now();
      const res = await post(`${api.url}/webhooks/zoom`, good.body, good.headers as unknown as Record<string, string>);
      assert.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
      assert.deepEqual([res.status, res.body], [200, { status: 'accepted', events: 1, stored: 1 }]);
      const { rows } = await system.pool.query<{ kind: string; instance_id: string }>(
        'SELECT kind, instance_id FROM room_facts WHERE provider = $1 AND room = $2',
        ['zoom', '556'],
      );
      assert.deepEqual(rows, [{ kind: 'joined', instance_id: uuid }]);

      // Delivered by a relay that reaches Temporal: the meeting's ad-hoc session has the join.
      await relayed(system, 30_000);
      const handle = system.client.workflow.getHandle(
        `session-${adHocSessionId({ provider: 'zoom', instanceId: uuid })}`,
      );
      const presence = await eventually(
        async () => {
          const now = await handle.query(presenceQuery, Date.now()).catch(() => undefined);
          return now?.inRoom.length ? now : undefined;
        },
        20_000,
        'the ad-hoc session to have the join',
      );
      assert.deepEqual([presence.counts.inRoom, presence.counts.seen], [1, 1]);
      await handle.terminate('test finished');
    } finally {
      await api.close();
      await pool.end();
      await temporal.connection.close();
    }
  });

  it('answers 503 within Zoom’s 3 s when PostgreSQL cannot store the fact, so the provider retries', async () => {
    const config = testConfig({
      ...PROVIDER_SETTINGS,
      DATABASE_URL: `postgres://rollcall@127.0.0.1:${await freePort()}/nowhere`,
    });
    const pool = createPool(config.databaseUrl!);
    const api = await listen(
      { config, pool, temporal: system.client, logger: createLogger('test', 'silent') },
      0,
      '127.0.0.1',
    );
    try {
      const before = await stateOf(system);
      const good = zoomRequest(
        zoomParticipantJoined({
          meetingId: '557',
          uuid: `postgres-down-${Date.now()}==`,
          userId: 'x8',
          joinTime: pastMinute(5),
        }),
        ZOOM_SECRET,
      );
      const started = Date.now();
      const res = await post(`${api.url}/webhooks/zoom`, good.body, good.headers as unknown as Record<string, string>);
      assert.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
      assert.deepEqual([res.status, res.body.error], [503, 'the event cannot be stored now; retry later']);
      assert.deepEqual(await stateOf(system), before);
    } finally {
      await api.close();
      await pool.end();
    }
  });
});
