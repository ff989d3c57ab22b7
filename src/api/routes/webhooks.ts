import express, { Router, type Request, type Response } from 'express';
import { InvalidInput, Unavailable } from '../../domain/errors.js';
import type { Provider } from '../../domain/index.js';
import type { ParsedWebhook } from '../../providers/common.js';
import { parseLiveKitWebhook, verifyLiveKitWebhook } from '../../providers/livekit.js';
import { answerUrlValidation, parseZoomWebhook, verifyZoomSignature } from '../../providers/zoom.js';
import type { ApiDeps } from '../deps.js';
import { keepDeadLetter } from '../../db/dead-letters.js';
import { storeFacts } from '../../db/facts.js';
import { isDataError } from '../../db/storable.js';
import type { Relay } from '../../sessions/relay.js';
import { HttpError } from '../http-error.js';
import { noteWebhook, type ApiMetrics } from '../metrics.js';

/** Provider webhooks are small; anything bigger is refused before it is read in full. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

/** Signatures cover the raw bytes, so bodies stay raw until verified. */
const rawBody = express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES });

/** Parses the verified body with the provider's adapter; undefined when it is not JSON at all. */
function parseBody<P>(raw: Buffer, parse: (body: unknown) => P): P | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  return parse(body);
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/**
 * POST /webhooks/zoom and /webhooks/livekit: 401 unless signed as the provider signs, 400 for a
 * malformed payload (saying what is wrong), 200 for a well-signed event type we ignore, and for attendance
 * events 200 once their facts are committed in PostgreSQL (503 when they cannot be, so the provider retries).
 * Temporal is not on this path: the relay brings the facts to their sessions' workflows.
 */
export function webhookRoutes(deps: ApiDeps, relay: Relay, metrics: ApiMetrics): Router {
  const { config } = deps;
  const routes = Router();
  routes.use(metrics.observeWebhooks);

  /** An authentic payload we cannot use is kept as a dead letter for inspection, then refused (400). */
  async function refuse(provider: Provider, raw: Buffer, reason: string): Promise<never> {
    await keepDeadLetter(deps.pool, provider, reason, raw.toString('utf8')).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'dead letter not kept'),
    );
    throw new InvalidInput(reason);
  }

  async function accept(
    provider: Provider,
    raw: Buffer,
    parsed: ParsedWebhook | undefined,
    res: Response,
  ): Promise<void> {
    if (!parsed) return refuse(provider, raw, 'body is not valid JSON');
    if (parsed.type === 'invalid') return refuse(provider, raw, parsed.message);
    if (parsed.type === 'ignored') {
      noteWebhook(res, { outcome: 'ignored' });
      res.json({ status: 'ignored', event: parsed.event });
      return;
    }
    const stored = await storeFacts(deps.pool, parsed.room, parsed.events).catch(async (error: unknown) => {
      if (isDataError(error)) return refuse(provider, raw, 'the event holds a value that cannot be stored');
      deps.logger.error({ err: error }, 'webhook facts not stored');
      throw new Unavailable('the event cannot be stored now; retry later');
    });
    relay.announce();
    noteWebhook(res, { outcome: 'accepted', events: parsed.events.length, stored });
    res.json({ status: 'accepted', events: parsed.events.length, stored });
  }

  routes.post('/zoom', rawBody, async (req, res) => {
    const secret = config.zoom.webhookSecret;
    if (!secret) throw new HttpError(401, 'Zoom webhooks are not configured (ZOOM_WEBHOOK_SECRET_TOKEN is unset)');
    const raw = bodyOf(req);
    const verified = verifyZoomSignature({
      rawBody: raw,
      timestamp: req.headers['x-zm-request-timestamp'],
      signature: req.headers['x-zm-signature'],
      secret,
      nowMs: Date.now(),
    });
    if (!verified.ok) throw new HttpError(401, `signature rejected: ${verified.reason}`);
    const parsed = parseBody(raw, parseZoomWebhook);
    if (parsed?.type === 'url_validation') {
      noteWebhook(res, { outcome: 'url_validation' });
      res.json(answerUrlValidation(parsed.plainToken, secret));
      return;
    }
    await accept('zoom', raw, parsed, res);
  });

  routes.post('/livekit', rawBody, async (req, res) => {
    const { apiKey, apiSecret } = config.livekit;
    if (!apiKey || !apiSecret)
      throw new HttpError(401, 'LiveKit webhooks are not configured (LIVEKIT_API_KEY / LIVEKIT_API_SECRET unset)');
    const raw = bodyOf(req);
    const verified = await verifyLiveKitWebhook({
      rawBody: raw,
      authorization: req.headers.authorization,
      apiKey,
      apiSecret,
    });
    if (!verified.ok) throw new HttpError(401, `signature rejected: ${verified.reason}`);
    await accept('livekit', raw, parseBody(raw, parseLiveKitWebhook), res);
  });

  return routes;
}
