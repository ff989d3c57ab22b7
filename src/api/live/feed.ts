import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { loadAttendanceReport } from '../../db/reports.js';
import { getSession } from '../../db/sessions.js';
import { OPEN_PHASES, type Presence } from '../../domain/index.js';
import { presenceQuery } from '../../workflows/messages.js';
import { workflowIdFor } from '../../workflows/types.js';
import type { ApiDeps } from '../deps.js';
import { presentSession } from '../../sessions/views.js';
import { within } from '../temporal-errors.js';
import { countEvents, loadTimeline } from './timeline.js';

/** One Server-Sent Event: its name and its data, already JSON. */
export interface LiveMessage {
  /** `problem`: a tick failed (no detail: it is logged); the feed keeps trying. */
  event: 'session' | 'presence' | 'timeline' | 'attendance' | 'problem';
  json: string;
}

const PRESENCE_BUDGET_MS = 2_000;

/** How often a session's feed reads the session: the page shows a join within about this long of its webhook. */
export const TICK_MS = 1_000;

type Viewer = (message: LiveMessage) => void;

/**
 * The live feeds of the API process: one per session with at least one viewer, however many viewers it has.
 * Each feed reads the session once per tick and sends every viewer the parts that changed; a viewer that joins
 * gets the latest of each part at once. An extra viewer costs a write per change, never a read or an engine run.
 */
export class LiveFeeds {
  private readonly feeds = new Map<string, LiveFeed>();

  constructor(
    private readonly deps: ApiDeps,
    /** Called once per tick of any feed (the metrics count them). */
    private readonly onTick: () => void = () => undefined,
  ) {}

  /** Follows the session; returns the function that stops following it. */
  watch(sessionId: string, viewer: Viewer): () => void {
    let feed = this.feeds.get(sessionId);
    if (!feed) {
      feed = new LiveFeed(this.deps, sessionId, this.onTick, () => this.feeds.delete(sessionId));
      this.feeds.set(sessionId, feed);
    }
    return feed.add(viewer);
  }
}

/**
 * What the live page shows of one session. Each part is sent only when it changed, and the costly ones are only
 * read when a cheap check says they may have: the timeline when the session's facts grew, the attendance table
 * when the session was (re)calculated. Presence comes from the workflow's query, as GET
 * /api/sessions/:id/presence answers it.
 */
class LiveFeed {
  private readonly latest = new Map<LiveMessage['event'], string>();
  private readonly viewers = new Set<Viewer>();
  private events = -1;
  private calculatedAt: number | undefined;
  private running = false;

  constructor(
    private readonly deps: ApiDeps,
    private readonly sessionId: string,
    private readonly onTick: () => void,
    private readonly onIdle: () => void,
  ) {}

  add(viewer: Viewer): () => void {
    this.viewers.add(viewer);
    for (const [event, json] of this.latest) viewer({ event, json });
    if (!this.running) void this.run();
    return () => this.viewers.delete(viewer);
  }

  private async run(): Promise<void> {
    this.running = true;
    const log = this.deps.logger.child({ sessionId: this.sessionId });
    while (this.viewers.size > 0) {
      let messages: LiveMessage[];
      try {
        this.onTick();
        messages = await this.tick(Date.now());
      } catch (error) {
        log.warn({ err: error }, 'live page update failed');
        messages = [{ event: 'problem', json: JSON.stringify({ error: 'update failed; retrying' }) }];
      }
      for (const viewer of this.viewers) for (const message of messages) viewer(message);
      await sleep(TICK_MS);
    }
    this.running = false;
    this.onIdle();
  }

  /** The messages whose data changed since the previous tick (all of them on the first). */
  private async tick(now: number): Promise<LiveMessage[]> {
    const { pool, config } = this.deps;
    const session = await getSession(pool, this.sessionId);
    if (!session) throw new Error(`session ${this.sessionId} is no longer in the database`);
    const messages: LiveMessage[] = [];
    const send = (event: Exclude<LiveMessage['event'], 'problem'>, data: unknown) => {
      const json = JSON.stringify(data);
      if (this.latest.get(event) === json) return;
      this.latest.set(event, json);
      messages.push({ event, json });
    };

    send('session', presentSession(config, session, null));
    if (OPEN_PHASES.includes(session.status)) send('presence', await this.presence(now));
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
    return within(PRESENCE_BUDGET_MS + 500, query, new Error('Temporal did not answer in time')).catch(
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return { error: 'This session has no workflow.' };
        // The page says only that it is unavailable; why (hosts, internal errors) goes to the log.
        this.deps.logger.warn({ err: error, sessionId: this.sessionId }, 'live page presence unavailable');
        return { error: 'Presence is unavailable right now.' };
      },
    );
  }
}
