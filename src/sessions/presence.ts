/**
 * Presence snapshots: the API's view of who is in each followed session's room, refreshed in the background
 * from the session workflow's presence query and answered from memory.
 *
 * Why: a big room's presence is a large answer (a 10,000-person webinar: ~1.5 MB) that the workflow builds on
 * the worker, between the workflow tasks the relay keeps coming. Asked per request, every caller waits for that
 * round trip (hundreds of ms, seconds while the run continues as new) and every caller adds to the worker's load.
 * Here a followed session is queried once per refresh interval however many callers there are, and callers get
 * the newest snapshot at once. Each answer carries `at`, the instant it describes, so its age is never hidden.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Presence } from '../domain/index.js';
import { Unavailable } from '../domain/errors.js';
import { presenceQuery } from '../workflows/messages.js';
import { workflowIdFor } from '../workflows/types.js';
import { within } from './temporal-errors.js';

export interface PresenceOptions {
  /** A followed session's snapshot is refreshed this often (from the start of one query to the next). */
  refreshMs: number;
  /** A snapshot older than this is not answered: the caller waits for the refresh under way. */
  maxAgeMs: number;
  /** One query may take this long; then it fails (the caller gets the error when it has nothing to answer). */
  budgetMs: number;
  /** A session nobody asked about for this long is no longer followed (its snapshot is dropped). */
  followMs: number;
}

export const PRESENCE_DEFAULTS: PresenceOptions = {
  refreshMs: 1_000,
  maxAgeMs: 5_000,
  budgetMs: 5_000,
  followMs: 30_000,
};

/** A snapshot: the presence and its JSON (serialised once, sent as is to every caller). */
export interface PresenceSnapshot {
  presence: Presence;
  json: string;
  /** When the query that made it was sent (local clock). */
  takenAt: number;
}

interface Followed {
  latest?: PresenceSnapshot;
  /** The query under way, if any: callers and the refresher share it. */
  refreshing?: Promise<PresenceSnapshot>;
  wantedAt: number;
}

export class PresenceSnapshots {
  private readonly followed = new Map<string, Followed>();
  private readonly options: PresenceOptions;
  private closed = false;

  constructor(
    private readonly temporal: Client,
    options: Partial<PresenceOptions> = {},
    /** Called once per query sent (the metrics count them). */
    private readonly onQuery: () => void = () => undefined,
  ) {
    this.options = { ...PRESENCE_DEFAULTS, ...options };
  }

  /**
   * The session's newest snapshot if it is recent enough, else the one being taken now. Starts following the
   * session. Fails as the query fails (no workflow, Temporal unavailable) when there is nothing recent to answer.
   */
  async get(sessionId: string): Promise<PresenceSnapshot> {
    const now = Date.now();
    let entry = this.followed.get(sessionId);
    if (!entry) {
      entry = { wantedAt: now };
      this.followed.set(sessionId, entry);
      void this.follow(sessionId, entry);
    }
    entry.wantedAt = now;
    if (entry.latest && now - entry.latest.takenAt <= this.options.maxAgeMs) return entry.latest;
    return this.refresh(sessionId, entry);
  }

  /** Stops every refresher (API shutdown). */
  close(): void {
    this.closed = true;
    this.followed.clear();
  }

  /** Keeps the session's snapshot fresh while someone keeps asking for it. */
  private async follow(sessionId: string, entry: Followed): Promise<void> {
    const { refreshMs, followMs } = this.options;
    while (!this.closed && this.followed.get(sessionId) === entry && Date.now() - entry.wantedAt < followMs) {
      const started = Date.now();
      // A failed refresh leaves the previous snapshot; callers see the failure only once it is too old.
      const missing = await this.refresh(sessionId, entry).then(
        () => false,
        (error: unknown) => error instanceof WorkflowNotFoundError,
      );
      if (missing) break;
      // Unreferenced: a followed session never keeps the process alive.
      await sleep(Math.max(0, started + refreshMs - Date.now()), undefined, { ref: false });
    }
    if (this.followed.get(sessionId) === entry) this.followed.delete(sessionId);
  }

  private refresh(sessionId: string, entry: Followed): Promise<PresenceSnapshot> {
    entry.refreshing ??= this.query(sessionId)
      .then((snapshot) => {
        if (!entry.latest || snapshot.takenAt > entry.latest.takenAt) entry.latest = snapshot;
        return snapshot;
      })
      .finally(() => (entry.refreshing = undefined));
    return entry.refreshing;
  }

  private async query(sessionId: string): Promise<PresenceSnapshot> {
    const { budgetMs } = this.options;
    const takenAt = Date.now();
    this.onQuery();
    const handle = this.temporal.workflow.getHandle(workflowIdFor(sessionId));
    const asked = this.temporal.withDeadline(takenAt + budgetMs, () => handle.query(presenceQuery, takenAt));
    // The SDK does not bound (re)connecting by the call's deadline.
    const presence = await within(budgetMs + 500, asked, new Unavailable('Temporal is unavailable; retry later'));
    return { presence, json: JSON.stringify(presence), takenAt };
  }
}
