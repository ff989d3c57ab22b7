import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

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

/** One data converter for every worker, client and replayer, so all of them read what the others wrote. */
export const dataConverter: DataConverter = { payloadCodecs: [new LargePayloadCodec()] };
