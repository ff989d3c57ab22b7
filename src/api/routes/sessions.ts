import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { Router } from 'express';
import { getSession, insertSession, sameRegistration } from '../../db/sessions.js';
import { workflowUiUrl } from '../../infra/temporal-ui.js';
import { summaryQuery } from '../../workflows/messages.js';
import { workflowIdFor, type SessionSpec } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { Conflict, SessionNotFound, SessionNotRunning, Unavailable } from '../../domain/errors.js';
import {
  endSessionSchema,
  registerSessionSchema,
  sessionIdParam,
  type RegisterSessionBody,
} from '../../schemas/sessions.js';
import { presentSession, presentState } from '../../sessions/views.js';
import { endSession, recalculateSession, startSessionWorkflow } from '../../sessions/workflow-client.js';
import { factSpan } from '../../sessions/routing.js';
import type { PresenceSnapshots } from '../../sessions/presence.js';
import { within, withTemporal } from '../temporal-errors.js';
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

/**
 * How long each workflow call may take. A finished workflow's query is answered by replay on a worker, and an
 * update needs a worker to run it: with the worker down, the call would otherwise wait indefinitely.
 */
const BUDGET_MS = { state: 2_000, presence: 5_000, end: 5_000, recalculate: 60_000 };

export function sessionRoutes(deps: ApiDeps, presence: PresenceSnapshots): Router {
  const router = Router();
  const handleFor = (id: string) => deps.temporal.workflow.getHandle(workflowIdFor(id));

  /** A call on the session's workflow within its budget: 404 when there is none, 503 when it cannot be had. */
  const onWorkflow = async <T>(id: string, budgetMs: number, call: () => Promise<T>): Promise<T> => {
    const attempt = withTemporal(() => deps.temporal.withDeadline(Date.now() + budgetMs, call)).catch(
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) throw new SessionNotRunning(id);
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
          throw new Unavailable(`session ${id}'s workflow did not answer in time; retry later`, { cause: error });
        throw error;
      },
    );
    return within(budgetMs + 1_000, attempt, new Unavailable('Temporal is unavailable; retry later'));
  };

  /** Registers a session and starts its workflow; a retried identical registration answers the same. */
  router.post('/sessions', async (req, res) => {
    const spec = specFrom(parseOr400(registerSessionSchema, req.body), deps);
    const { earlyJoinMs, maxOverrunMs } = deps.config.timings;
    const { row, created } = await insertSession(
      deps.pool,
      spec,
      workflowIdFor(spec.id),
      factSpan(spec, earlyJoinMs, maxOverrunMs),
    );
    if (!created && !sameRegistration(row, spec))
      throw new Conflict(`session ${spec.id} already exists with different details`);
    const workflowId = await withTemporal(() => startSessionWorkflow(deps.temporal, deps.config, row));
    res
      .status(created ? 201 : 200)
      .json({ id: row.id, workflowId, temporalUiUrl: workflowUiUrl(deps.config, workflowId) });
  });

  /** The stored session, plus the workflow's summary when it can be had: the row alone must always answer. */
  router.get('/sessions/:id', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const session = await getSession(deps.pool, id);
    if (!session) throw new SessionNotFound(id);
    // Temporal or the workflow being unavailable leaves the stored row (state null), never a failed read.
    const state = await onWorkflow(id, BUDGET_MS.state, () => handleFor(id).query(summaryQuery)).catch(
      (error: unknown) => {
        if (error instanceof SessionNotRunning || error instanceof Unavailable) return null;
        throw error;
      },
    );
    res.json(presentSession(deps.config, session, state));
  });

  /**
   * Live presence from the workflow's query (the room at `at`, at most a few seconds ago), not from the database:
   * the newest snapshot the API keeps of a followed session (see PresenceSnapshots).
   */
  router.get('/sessions/:id/presence', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const snapshot = await onWorkflow(id, BUDGET_MS.presence, () => presence.get(id));
    res.type('json').send(snapshot.json);
  });

  /** Ends the meeting as the provider's end event would; the final calculation follows after the grace delay. */
  router.post('/sessions/:id/end', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const { at } = parseOr400(endSessionSchema, req.body ?? {});
    const session = await getSession(deps.pool, id);
    if (!session) throw new SessionNotFound(id);
    const summary = await onWorkflow(id, BUDGET_MS.end, () =>
      endSession(deps.temporal, deps.pool, session, at === undefined ? undefined : Date.parse(at)),
    );
    res.status(202).json(presentState(summary));
  });

  /**
   * Recomputes attendance from the stored event log; answers once the result is persisted. Update-with-start:
   * a session whose workflow has finished gets a new run, so any session can be recalculated at any time.
   */
  router.post('/sessions/:id/recalculate', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const session = await getSession(deps.pool, id);
    if (!session) throw new SessionNotFound(id);
    const summary = await onWorkflow(id, BUDGET_MS.recalculate, () =>
      recalculateSession(deps.temporal, deps.config, session),
    );
    res.json(presentState(summary));
  });

  return router;
}
