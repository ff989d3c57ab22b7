import { WorkflowNotFoundError } from '@temporalio/client';
import { loadAttendanceReport } from '../../db/reports.js';
import { getSession } from '../../db/sessions.js';
import type { Presence } from '../../domain/index.js';
import { presenceQuery } from '../../workflows/messages.js';
import { workflowIdFor } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { presentSession } from '../session-views.js';
import { within } from '../temporal-errors.js';
import { countEvents, loadTimeline } from './timeline.js';

/** One Server-Sent Event: its name and its data, already JSON. */
export interface LiveMessage {
  event: 'session' | 'presence' | 'timeline' | 'attendance';
  json: string;
}

const PRESENCE_BUDGET_MS = 2_000;

/** Phases in which someone can be in the room; the meeting's end closes every cycle. */
const OPEN_PHASES = new Set(['scheduled', 'live']);

/**
 * What the live page shows of one session, read once per tick. Each part is sent only when it changed, and the
 * costly ones are only read when a cheap check says they may have: the timeline when the event log grew, the
 * attendance table when the session was (re)calculated. Presence comes from the workflow's query, as GET
 * /api/sessions/:id/presence answers it.
 */
export class LiveFeed {
  private readonly sent = new Map<LiveMessage['event'], string>();
  private events = -1;
  private calculatedAt: number | undefined;

  constructor(
    private readonly deps: ApiDeps,
    private readonly sessionId: string,
  ) {}

  /** The messages whose data changed since the previous tick (all of them on the first). */
  async tick(now: number): Promise<LiveMessage[]> {
    const { pool, config } = this.deps;
    const session = await getSession(pool, this.sessionId);
    if (!session) throw new Error(`session ${this.sessionId} is no longer in the database`);
    const messages: LiveMessage[] = [];
    const send = (event: LiveMessage['event'], data: unknown) => {
      const json = JSON.stringify(data);
      if (this.sent.get(event) === json) return;
      this.sent.set(event, json);
      messages.push({ event, json });
    };

    send('session', presentSession(config, session, null));
    if (OPEN_PHASES.has(session.status)) send('presence', await this.presence(now));
    const events = await countEvents(pool, session.id);
    if (events !== this.events) {
      this.events = events;
      send('timeline', await loadTimeline(pool, session, now));
    }
    if (session.calculatedAt !== undefined && session.calculatedAt !== this.calculatedAt) {
      this.calculatedAt = session.calculatedAt;
      send('attendance', await loadAttendanceReport(pool, session.id));
    }
    return messages;
  }

  /** Presence, or why it cannot be had right now (the page says so and keeps following). */
  private async presence(now: number): Promise<Presence | { error: string }> {
    const { temporal } = this.deps;
    const handle = temporal.workflow.getHandle(workflowIdFor(this.sessionId));
    const query = temporal.withDeadline(Date.now() + PRESENCE_BUDGET_MS, () => handle.query(presenceQuery, now));
    return within(PRESENCE_BUDGET_MS + 500, query, new Error('Temporal did not answer in time')).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return { error: 'This session has no workflow.' };
      // The page says only that it is unavailable; why (hosts, internal errors) goes to the log.
      this.deps.logger.warn({ err: error, sessionId: this.sessionId }, 'live page presence unavailable');
      return { error: 'Presence is unavailable right now.' };
    });
  }
}
