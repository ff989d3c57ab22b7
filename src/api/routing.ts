import type { Config } from '../config/index.js';
import type { Pool } from '../db/pool.js';
import { registeredSessionsForRoom } from '../db/sessions.js';
import type { RoomRef } from '../providers/common.js';
import type { SessionSpec } from '../workflows/types.js';

const DAY_MS = 86_400_000;

/** A Zoom instance uuid may hold `/`, `+` and `=`: base64url keeps ad-hoc ids URL- and workflow-id-safe. */
export function adHocSessionId(room: RoomRef): string {
  return `${room.provider}-${Buffer.from(room.instanceId).toString('base64url')}`;
}

/** Of the sessions whose allowed window holds `at`, the one whose scheduled window is nearest (holding it wins). */
/** The session of a meeting no registered session covers: its window is the actual meeting. */
export function adHocSession(room: RoomRef, policy: SessionSpec['policy']): SessionSpec {
  return { id: adHocSessionId(room), provider: room.provider, room: room.roomId, instanceId: room.instanceId, title: room.topic, adHoc: true, roster: [], policy };
}

export function pickSession(sessions: readonly SessionSpec[], at: number, earlyJoinMs: number, maxOverrunMs: number): SessionSpec | undefined {
  const distance = (s: SessionSpec) => Math.max(0, s.scheduledStart! - at, at - s.scheduledEnd!);
  return sessions
    .filter((s) => s.scheduledStart! - earlyJoinMs <= at && at <= s.scheduledEnd! + maxOverrunMs)
    .sort((a, b) => distance(a) - distance(b) || a.scheduledStart! - b.scheduledStart!)[0];
}

interface CacheEntry {
  expires: number;
  sessions: Promise<SessionSpec[]>;
}

/**
 * Routes a provider room's event to its session: the registered session whose window (with SESSION_EARLY_JOIN
 * before and SESSION_MAX_OVERRUN after) holds the event's provider time, else an ad-hoc session of the meeting
 * instance. A room's sessions of the surrounding days are cached briefly, so the webhook hot path reads the
 * database once per room every few seconds instead of once per webhook.
 */
export class SessionRouter {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly pool: Pool,
    private readonly config: Config,
    private readonly ttlMs = 5_000,
  ) {}

  async route(room: RoomRef, at: number): Promise<SessionSpec> {
    const { earlyJoinMs, maxOverrunMs } = this.config.timings;
    const now = Date.now();
    // Events far from now (a very late retry) are rare: look them up directly rather than widening the cache.
    const sessions =
      Math.abs(at - now) < DAY_MS
        ? await this.cachedSessions(room, now)
        : await registeredSessionsForRoom(this.pool, room.provider, room.roomId, at - DAY_MS, at + DAY_MS);
    return pickSession(sessions, at, earlyJoinMs, maxOverrunMs) ?? adHocSession(room, this.config.defaultPolicy);
  }

  /** Forget a room's sessions (a registration through this process); other processes see it within the TTL. */
  invalidate(provider: string, roomId: string): void {
    this.cache.delete(`${provider}\u0000${roomId}`);
  }

  private cachedSessions(room: RoomRef, now: number): Promise<SessionSpec[]> {
    const key = `${room.provider}\u0000${room.roomId}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.sessions;
    if (this.cache.size > 10_000) for (const [k, entry] of this.cache) if (entry.expires <= now) this.cache.delete(k);
    const sessions = registeredSessionsForRoom(this.pool, room.provider, room.roomId, now - 2 * DAY_MS, now + 2 * DAY_MS);
    // A failed lookup must not be cached: the next webhook tries the database again.
    sessions.catch(() => this.cache.delete(key));
    this.cache.set(key, { expires: now + this.ttlMs, sessions });
    return sessions;
  }
}
