import express, { Router, type Request, type Response } from 'express';
import type { ParsedWebhook } from '../../providers/common.js';
import { parseLiveKitWebhook, verifyLiveKitWebhook } from '../../providers/livekit.js';
import { answerUrlValidation, parseZoomWebhook, verifyZoomSignature } from '../../providers/zoom.js';
import type { ApiDeps } from '../deps.js';
import { deliverEvents } from '../gateway.js';
import { HttpError } from '../http-error.js';
import type { SessionRouter } from '../routing.js';

/** Provider webhooks are small; anything bigger is refused before it is read in full. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

/** Signatures cover the raw bytes, so bodies stay raw until verified. */
const rawBody = express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES });

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/**
 * POST /webhooks/zoom and /webhooks/livekit (SPEC §5): 401 unless signed as the provider signs, 400 for a
 * malformed payload (saying what is wrong), 200 for a well-signed event type we ignore, and for attendance
 * events 200 only once Temporal has accepted the signal (503 otherwise, so the provider retries).
 */
export function webhookRoutes(deps: ApiDeps, router: SessionRouter): Router {
  const { config, temporal } = deps;
  const routes = Router();

  async function accept(parsed: ParsedWebhook, res: Response): Promise<void> {
    if (parsed.type === 'invalid') throw new HttpError(400, parsed.message);
    if (parsed.type === 'ignored') {
      res.json({ status: 'ignored', event: parsed.event });
      return;
    }
    const delivery = await deliverEvents(temporal, config, router, parsed.room, parsed.events);
    res.json({ status: 'accepted', ...delivery, events: parsed.events.length });
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
    const parsed = parseZoomWebhook(parseJson(raw));
    if (parsed.type === 'url_validation') {
      res.json(answerUrlValidation(parsed.plainToken, secret));
      return;
    }
    await accept(parsed, res);
  });

  routes.post('/livekit', rawBody, async (req, res) => {
    const { apiKey, apiSecret } = config.livekit;
    if (!apiKey || !apiSecret) throw new HttpError(401, 'LiveKit webhooks are not configured (LIVEKIT_API_KEY / LIVEKIT_API_SECRET unset)');
    const raw = bodyOf(req);
    const verified = await verifyLiveKitWebhook({ rawBody: raw, authorization: req.headers.authorization, apiKey, apiSecret });
    if (!verified.ok) throw new HttpError(401, `signature rejected: ${verified.reason}`);
    await accept(parseLiveKitWebhook(parseJson(raw)), res);
  });

  return routes;
}
