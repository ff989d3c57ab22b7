import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { getSession, insertSession, sameRegistration } from '../../db/sessions.js';
import { presenceQuery } from '../../workflows/messages.js';
import { workflowIdFor, type SessionSpec } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { registerSessionSchema, type RegisterSessionBody } from '../schemas/sessions.js';
import { startSessionWorkflow } from '../session-workflows.js';
import { withTemporal } from '../temporal-errors.js';
import { parseOr400 } from '../validate.js';

function specFrom(body: RegisterSessionBody, deps: ApiDeps): SessionSpec {
  return {
    id: body.id ?? randomUUID(),
    provider: body.provider,
    room: body.room,
    title: body.title,
    adHoc: false,
    scheduledStart: Date.parse(body.scheduledStart),
    scheduledEnd: Date.parse(body.scheduledEnd),
    roster: body.roster,
    policy: body.policy ?? deps.config.defaultPolicy,
  };
}

const idParam = z.object({ id: z.string().min(1).max(200) });

export function sessionRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** Registers a session and starts its workflow; a retried identical registration answers the same. */
  router.post('/sessions', async (req, res) => {
    const spec = specFrom(parseOr400(registerSessionSchema, req.body), deps);
    const { row, created } = await insertSession(deps.pool, spec, workflowIdFor(spec.id));
    if (!created && !sameRegistration(row, spec)) throw new HttpError(409, `session ${spec.id} already exists with different details`);
    const workflowId = await withTemporal(() => startSessionWorkflow(deps.temporal, deps.config, row));
    res.status(created ? 201 : 200).json({ id: row.id, workflowId });
  });

  router.get('/sessions/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params);
    const session = await getSession(deps.pool, id);
    if (!session) throw new HttpError(404, `no session ${id}`);
    res.json(session);
  });

  /** Live presence from the workflow's query (the room right now), not from the database. */
  router.get('/sessions/:id/presence', async (req, res) => {
    const { id } = parseOr400(idParam, req.params);
    const handle = deps.temporal.workflow.getHandle(workflowIdFor(id));
    const presence = await withTemporal(() => handle.query(presenceQuery, Date.now())).catch((error: unknown) => {
      throw error instanceof WorkflowNotFoundError ? new HttpError(404, `no session ${id}`) : error;
    });
    res.json(presence);
  });

  return router;
}
