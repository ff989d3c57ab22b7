import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { formatPayloadKeys, keyIdOf, parsePayloadKeys } from '../../src/config/payload-keys.js';
import {
  COMPRESS_ABOVE_BYTES,
  createDataConverter,
  EncryptionCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
} from '../../src/infra/payload-codec.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

/** Encodes through the codecs in order, as the SDK does; decodes in reverse. */
async function roundTrip(keys: ReturnType<typeof key>[], value: unknown) {
  const codecs = createDataConverter(keys).payloadCodecs!;
  let payloads = [defaultPayloadConverter.toPayload(value)];
  for (const codec of codecs) payloads = await codec.encode(payloads);
  const encoded = payloads[0]!;
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  return { encoded, decoded: defaultPayloadConverter.fromPayload(payloads[0]!) };
}

describe('payload encryption', () => {
  const roster = { roster: [{ userId: 'u-1', email: 'jill@example.com', name: 'Jill Chill' }] };

  it('encrypts every payload (names and emails unreadable), names its key, and decrypts it exactly', async () => {
    const keys = [key('2026-11')];
    const { encoded, decoded } = await roundTrip(keys, roster);
    assert.equal(text(encoded.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.[KEY_ID_METADATA]), '2026-11');
    assert.ok(!Buffer.from(encoded.data!).includes('jill@example.com'));
    assert.ok(!Buffer.from(encoded.data!).includes('Jill'));
    assert.deepEqual(decoded, roster);
  });

  it('compresses before encrypting, so large payloads stay small', async () => {
    const big = {
      people: Array.from({ length: 5_000 }, (_, i) => ({
        email: `student-${i}@example.com`,
        joins: [1_763_700_000_000 + i],
      })),
    };
    const plain = defaultPayloadConverter.toPayload(big);
    assert.ok(plain.data!.length > COMPRESS_ABOVE_BYTES);
    const { encoded, decoded } = await roundTrip([key('a')], big);
    assert.ok(encoded.data!.length * 5 < plain.data!.length, `${encoded.data!.length} vs ${plain.data!.length} bytes`);
    assert.deepEqual(decoded, big);
  });

  it('rotates: encrypts with the first key, decrypts with any listed key, refuses an unknown one', async () => {
    const [older, newer] = [key('old'), key('new')];
    const [underOld] = await new EncryptionCodec([older]).encode([defaultPayloadConverter.toPayload(roster)]);
    const rotated = new EncryptionCodec([newer, older]);
    const [reencoded] = await rotated.encode([defaultPayloadConverter.toPayload(roster)]);
    assert.equal(text(reencoded!.metadata?.[KEY_ID_METADATA]), 'new');
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([underOld!]))[0]!), roster);
    await assert.rejects(new EncryptionCodec([newer]).decode([underOld!]), /key "old"/);
  });

  it('refuses a tampered payload or a wrong key of the same id', async () => {
    const [encoded] = await new EncryptionCodec([key('a')]).encode([defaultPayloadConverter.toPayload(roster)]);
    await assert.rejects(new EncryptionCodec([key('a')]).decode([encoded!]), /does not decrypt/);
  });

  it('passes unencrypted payloads through (histories written before encryption)', async () => {
    const plain = defaultPayloadConverter.toPayload(roster);
    assert.deepEqual(await new EncryptionCodec([key('a')]).decode([plain]), [plain]);
  });

  it('reads PAYLOAD_ENCRYPTION_KEY as one key or a list, and says what is wrong without repeating the key', () => {
    const bytes = randomBytes(32);
    assert.deepEqual(parsePayloadKeys(bytes.toString('base64')), [{ id: keyIdOf(bytes), key: bytes }]);
    const keys = [key('new'), key('old')];
    assert.deepEqual(parsePayloadKeys(formatPayloadKeys(keys)), keys);
    const short = randomBytes(16).toString('base64');
    const message = parsePayloadKeys(`new:${short}`);
    assert.equal(typeof message, 'string');
    assert.match(message as string, /32 bytes in base64/);
    assert.ok(!(message as string).includes(short));
    assert.match(
      parsePayloadKeys(`a:${bytes.toString('base64')},a:${bytes.toString('base64')}`) as string,
      /entry 2: key id "a" is given twice/,
    );
  });
});
