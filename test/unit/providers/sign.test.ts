/** The test signers must sign exactly as the providers do: checked against the vectors and the LiveKit SDK. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookReceiver } from 'livekit-server-sdk';
import { verifyLiveKitWebhook } from '../../../src/providers/livekit.js';
import { parseZoomWebhook, verifyZoomSignature } from '../../../src/providers/zoom.js';
import {
  livekitParticipantJoined,
  livekitRequest,
  signLiveKit,
  signZoom,
  zoomParticipantJoined,
  zoomRequest,
} from '../../support/sign.js';
import vectors from '../../fixtures/providers/vectors.json' with { type: 'json' };

const T0 = Date.parse('2026-03-02T09:00:00Z');

describe('signZoom', () => {
  it('reproduces the vector signature', () => {
    const { body, timestamp, header } = vectors.zoom.signature;
    assert.deepEqual(signZoom(body, vectors.zoom.secretToken, Number(timestamp)), {
      'x-zm-request-timestamp': timestamp,
      'x-zm-signature': header,
      'content-type': 'application/json',
    });
  });

  it('signs built requests that the adapter verifies and parses at the current clock', () => {
    const { body, headers } = zoomRequest(zoomParticipantJoined({ joinTime: T0 }), 'secret-1');
    const verified = verifyZoomSignature({
      rawBody: Buffer.from(body),
      timestamp: headers['x-zm-request-timestamp'],
      signature: headers['x-zm-signature'],
      secret: 'secret-1',
      nowMs: Date.now(),
    });
    assert.deepEqual(verified, { ok: true });
    assert.equal(parseZoomWebhook(JSON.parse(body)).type, 'events');
  });
});

describe('signLiveKit', () => {
  const { apiKey, apiSecret } = vectors.livekit;

  it("mints a bare token that livekit-server-sdk's WebhookReceiver and the adapter both accept", async () => {
    const { body, headers } = await livekitRequest(
      livekitParticipantJoined({ identity: 'user-1', joinedAt: T0 }),
      apiKey,
      apiSecret,
    );
    assert.equal(headers['content-type'], 'application/webhook+json');
    assert.doesNotMatch(headers.authorization, /^Bearer /);

    const event = await new WebhookReceiver(apiKey, apiSecret).receive(body, headers.authorization);
    assert.equal(event.event, 'participant_joined');
    assert.equal(event.participant?.joinedAtMs, BigInt(T0)); // the built body is valid protojson

    assert.deepEqual(
      await verifyLiveKitWebhook({
        rawBody: Buffer.from(body),
        authorization: headers.authorization,
        apiKey,
        apiSecret,
      }),
      {
        ok: true,
      },
    );
  });

  it('binds the token to the body, as the SDK checks it', async () => {
    const { authorization } = await signLiveKit(vectors.livekit.body, apiKey, apiSecret);
    await assert.rejects(
      new WebhookReceiver(apiKey, apiSecret).receive(`${vectors.livekit.body} `, authorization),
      /sha256/,
    );
  });
});
