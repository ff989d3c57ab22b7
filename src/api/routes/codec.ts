import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Config } from '../../config/index.js';
import { payloadCodecs } from '../../infra/payload-codec.js';
import { bearerAuth } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requireJson } from '../guards.js';
import { InvalidInput } from '../../domain/errors.js';
import { parseOr400 } from '../validate.js';

/** The Temporal UI's remote codec protocol: payloads with base64 metadata values and data. */
const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/=_-]*$/, 'expected base64');
const codecBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000),
});

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

/** CORS for the configured Temporal UI's origin only (TEMPORAL_UI_URL); any other origin gets no CORS headers. */
function uiCors(config: Config): RequestHandler {
  const origin = new URL(config.temporal.uiUrl).origin;
  return (req, res, next) => {
    res.vary('Origin');
    if (req.get('origin') === origin) {
      res.set({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type, x-namespace',
        'access-control-max-age': '600',
      });
    }
    if (req.method === 'OPTIONS') {
      res.status(req.get('origin') === origin ? 204 : 403).end();
      return;
    }
    next();
  };
}

/**
 * POST /codec/decode and /codec/encode: the Temporal Web UI's remote codec endpoint (`--ui-codec-endpoint`, or
 * the UI's codec setting), so an operator's UI shows the plain payloads that Temporal stores encrypted. The
 * same bearer token as /api (when set); CORS only for TEMPORAL_UI_URL's origin.
 */
export function codecRoutes({ config, logger }: ApiDeps): Router {
  const codecs: PayloadCodec[] = payloadCodecs(config.payloadKeys);
  const router = Router();
  router.use('/codec', uiCors(config), bearerAuth(config.apiToken), requireJson, express.json({ limit: '20mb' }));
  const run = async (payloads: Payload[], direction: 'encode' | 'decode') => {
    let result = payloads;
    const ordered = direction === 'encode' ? codecs : [...codecs].reverse();
    for (const codec of ordered) result = await codec[direction](result);
    return result;
  };
  for (const direction of ['encode', 'decode'] as const) {
    router.post(`/codec/${direction}`, async (req, res) => {
      const { payloads } = parseOr400(codecBody, req.body);
      const result = await run(payloads.map(fromJson), direction).catch((error: unknown) => {
        logger.warn({ err: error, direction }, 'codec request failed');
        throw new InvalidInput(`payloads could not be ${direction}d with the configured keys`);
      });
      res.json({ payloads: result.map(toJson) });
    });
  }
  return router;
}
