import { Router } from 'express';
import { pingDatabase } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import type { ApiDeps } from '../deps.js';

const CHECK_TIMEOUT_MS = 2_000;

/** `ok` or `unavailable`: why a dependency is down goes to the log, never into the answer (it may name hosts, users, databases). */
async function check(logger: Logger, name: string, probe: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
    ]);
    return [name, 'ok'];
  } catch (error) {
    logger.warn({ err: error, check: name }, 'readiness check failed');
    return [name, 'unavailable'];
  }
}

/** /healthz: the process answers. /readyz: Temporal and PostgreSQL are reachable, so webhooks can be accepted. */
export function healthRoutes({ pool, temporal, logger }: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = Object.fromEntries(
      await Promise.all([
        check(logger, 'postgres', () => pingDatabase(pool)),
        check(logger, 'temporal', () => temporal.connection.workflowService.getSystemInfo({})),
      ]),
    );
    const ready = Object.values(checks).every((result) => result === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
