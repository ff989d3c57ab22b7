import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { ApplicationFailure, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { PayloadKey } from '../config/payload-keys.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

const ENCODING = 'binary/gzip';
/** Payloads below this stay plain JSON, readable as they are in the Temporal Web UI. */
export const COMPRESS_ABOVE_BYTES = 64 * 1024;

/**
 * Gzips large payloads (a big session's carried state, a reconcile snapshot of a full room) so they stay far
 * below Temporal's 2 MB payload limit: the engine state compresses about 12×. The whole payload, metadata
 * included, is wrapped, so decoding gives back exactly what was encoded.
 */
export class LargePayloadCodec implements PayloadCodec {
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if ((payload.data?.length ?? 0) < COMPRESS_ABOVE_BYTES) return payload;
        const data = await gzipAsync(PayloadMessage.encode(payload).finish());
        return { metadata: { encoding: new TextEncoder().encode(ENCODING) }, data };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const encoding = payload.metadata?.encoding;
        if (!encoding || new TextDecoder().decode(encoding) !== ENCODING || !payload.data) return payload;
        return PayloadMessage.decode(await gunzipAsync(payload.data));
      }),
    );
  }
}

export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key naming which key encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/**
 * Encrypts every payload with AES-256-GCM (the whole payload, metadata included, so its encoding is hidden
 * too): data = 12-byte IV | ciphertext | 16-byte tag; the metadata says `binary/encrypted` and the key id.
 * Encrypts with the first key and decrypts with whichever key the payload names, so keys rotate by putting a
 * new one first and keeping the old ones while histories written with them are still read. Payloads that are
 * not encrypted (histories written before encryption was on) are passed through as they are.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.byId = new Map(keys.map((key) => [key.id, key.key]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv(CIPHER, key, iv);
        const data = Buffer.concat([
          iv,
          cipher.update(PayloadMessage.encode(payload).finish()),
          cipher.final(),
          cipher.getAuthTag(),
        ]);
        return {
          metadata: {
            encoding: new TextEncoder().encode(ENCRYPTED_ENCODING),
            [KEY_ID_METADATA]: new TextEncoder().encode(id),
          },
          data,
        };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(
      payloads.map((payload) => {
        if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
        const keyId = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
        const key = this.byId.get(keyId);
        if (!key)
          throw ApplicationFailure.nonRetryable(
            `payload encrypted with key "${keyId}", which PAYLOAD_ENCRYPTION_KEY does not list`,
            'PayloadKeyMissing',
          );
        const data = Buffer.from(payload.data ?? []);
        if (data.length < IV_BYTES + TAG_BYTES)
          throw ApplicationFailure.nonRetryable('encrypted payload is truncated', 'PayloadDecryptionFailed');
        const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        try {
          return PayloadMessage.decode(
            Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]),
          );
        } catch {
          throw ApplicationFailure.nonRetryable(
            `payload does not decrypt with key "${keyId}"`,
            'PayloadDecryptionFailed',
          );
        }
      }),
    );
  }
}

/** The codecs in encoding order: compress, then encrypt (encrypted bytes do not compress). */
export function payloadCodecs(keys: readonly PayloadKey[] | undefined): PayloadCodec[] {
  return [new LargePayloadCodec(), ...(keys?.length ? [new EncryptionCodec(keys)] : [])];
}

/**
 * The data converter of every worker, client and replayer, so all of them read what the others wrote: large
 * payloads gzipped, and with keys (PAYLOAD_ENCRYPTION_KEY) every payload encrypted.
 */
export function createDataConverter(keys: readonly PayloadKey[] | undefined): DataConverter {
  return { payloadCodecs: payloadCodecs(keys) };
}

/** Without encryption: for code that reads unencrypted histories only (fixtures, benchmarks without keys). */
export const dataConverter: DataConverter = createDataConverter(undefined);
