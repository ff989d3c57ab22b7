import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { loadAttendanceReport } from '../../db/reports.js';
import { getSession } from '../../db/sessions.js';
import { OPEN_PHASES } from '../../domain/index.js';
import type { ApiDeps } from '../deps.js';
import { presentSession } from '../../sessions/views.js';
import type { PresenceSnapshots } from '../../sessions/presence.js';
import { LiveTimeline } from './timeline.js';

/** One Server-Sent Event: its name and its data, already JSON. */
export interface LiveMessage {
  /** `problem`: a tick failed (no detail: it is logged); the feed keeps trying. */
  event: 'session' | 'presence' | 'timeline' | 'attendance' | 'problem';
  json: string;
}

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
    private readonly snapshots: PresenceSnapshots,
    /** Called once per tick of any feed (the metrics count them). */
    private readonly onTick: () => void = () => undefined,
  ) {}

  /** Follows the session; returns the function that stops following it. */
  watch(sessionId: string, viewer: Viewer): () => void {
    let feed = this.feeds.get(sessionId);
    if (!feed) {
      feed = new LiveFeed(this.deps, this.snapshots, sessionId, this.onTick, () => this.feeds.delete(sessionId));
      this.feeds.set(sessionId, feed);
    }
    return feed.add(viewer);
  }
}

/**
 * What the live page shows of one session. Each part is sent only when it changed, and the costly ones are only
 * read when a cheap check says they may have: the timeline when the session's facts grew, the attendance table
 * when the session was (re)calculated. Presence is the API's snapshot of the workflow's query, the one GET
 * /api/sessions/:id/presence answers.
 */
class LiveFeed {
  private readonly latest = new Map<LiveMessage['event'], string>();
  private readonly viewers = new Set<Viewer>();
  private readonly timeline = new LiveTimeline();
  private calculatedAt: number | undefined;
  private running = false;

  constructor(
    private readonly deps: ApiDeps,
    private readonly snapshots: PresenceSnapshots,
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
    const sendJson = (event: Exclude<LiveMessage['event'], 'problem'>, json: string) => {
      if (this.latest.get(event) === json) return;
      this.latest.set(event, json);
      messages.push({ event, json });
    };
    const send = (event: Exclude<LiveMessage['event'], 'problem'>, data: unknown) =>
      sendJson(event, JSON.stringify(data));

    send('session', presentSession(config, session, null));
    if (OPEN_PHASES.includes(session.status)) sendJson('presence', await this.presence());
    const timeline = await this.timeline.update(pool, session, now);
    if (timeline !== undefined) sendJson('timeline', timeline);
    if (session.calculatedAt !== undefined && session.calculatedAt !== this.calculatedAt) {
      this.calculatedAt = session.calculatedAt;
      send('attendance', await loadAttendanceReport(pool, session.id));
    }
    return messages;
  }

  /** Presence as JSON, or why it cannot be had right now (the page says so and keeps following). */
  private async presence(): Promise<string> {
    return this.snapshots.get(this.sessionId).then(
      (snapshot) => snapshot.json,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return JSON.stringify({ error: 'This session has no workflow.' });
        // The page says only that it is unavailable; why (hosts, internal errors) goes to the log.
        this.deps.logger.warn({ err: error, sessionId: this.sessionId }, 'live page presence unavailable');
        return JSON.stringify({ error: 'Presence is unavailable right now.' });
      },
    );
  }
}
