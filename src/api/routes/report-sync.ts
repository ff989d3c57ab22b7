import { Router } from 'express';
import type { z } from 'zod';
import { startReportSync, zoomApiConfigured } from '../../zoom-api/start.js';
import type { ApiDeps } from '../deps.js';
import { Unavailable } from '../../domain/errors.js';
import { reportSyncSchema, targetOf, type reportSyncStartedSchema } from '../../schemas/report-sync.js';
import { within, withTemporal } from '../temporal-errors.js';
import { parseOr400 } from '../validate.js';

const START_BUDGET_MS = 5_000;

/** POST /api/zoom/report-sync: starts (or joins) the report-sync workflow of one meeting or webinar. */
export function reportSyncRoutes({ config, temporal }: ApiDeps): Router {
  const router = Router();
  router.post('/zoom/report-sync', async (req, res) => {
    const target = targetOf(parseOr400(reportSyncSchema, req.body));
    if (!zoomApiConfigured(config))
      throw new Unavailable(
        'Zoom API credentials are not configured (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)',
      );
    const workflowId = await within(
      START_BUDGET_MS,
      withTemporal(() => startReportSync(temporal, config, target)),
      new Unavailable('Temporal is unavailable; retry later'),
    );
    res.status(202).json({ workflowId } satisfies z.output<typeof reportSyncStartedSchema>);
  });
  return router;
}
