import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { COMPRESS_ABOVE_BYTES, LargePayloadCodec } from '../../src/infra/payload-codec.js';

describe('large payload codec', () => {
  const codec = new LargePayloadCodec();
  const big = {
    connections: Object.fromEntries(
      Array.from({ length: 5_000 }, (_, i) => [
        `PA_${i}`,
        { joins: [1_763_700_000_000 + i], person: { guestKey: `user-${i}` } },
      ]),
    ),
  };

  it('leaves small payloads as they are', async () => {
    const small = defaultPayloadConverter.toPayload({ hello: 'world' });
    assert.deepEqual(await codec.encode([small]), [small]);
  });

  it('gzips large payloads far below their size and restores them exactly', async () => {
    const payload = defaultPayloadConverter.toPayload(big);
    assert.ok(payload.data!.length > COMPRESS_ABOVE_BYTES);
    const [encoded] = await codec.encode([payload]);
    assert.equal(new TextDecoder().decode(encoded!.metadata!.encoding), 'binary/gzip');
    assert.ok(
      encoded!.data!.length * 5 < payload.data!.length,
      `${encoded!.data!.length} vs ${payload.data!.length} bytes`,
    );
    const [decoded] = await codec.decode([encoded!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), big);
  });
});
