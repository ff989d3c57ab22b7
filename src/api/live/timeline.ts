import { calculateAttendance } from '../../domain/index.js';
import { loadSessionFacts } from '../../db/facts.js';
import type { Pool } from '../../db/pool.js';
import type { ReportCycle } from '../../db/reports.js';
import type { SessionRow } from '../../db/sessions.js';
import { loadDirectoryFor } from '../../db/users.js';

export interface TimelinePerson {
  personKey: string;
  name: string | null;
  email: string | null;
  guest: boolean;
  cycles: ReportCycle[];
}

/** Every person's cycles so far, for the live page's chart; times ISO-8601 UTC like the attendance report. */
export interface Timeline {
  /** The attendance window (scheduled, or the actual meeting of an ad-hoc session); null before any evidence. */
  window: { start: string; end: string } | null;
  people: TimelinePerson[];
}

/** How many facts bear on the session: they only grow, so a new count means a new timeline. */
export async function countEvents(pool: Pool, sessionId: string): Promise<number> {
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM session_facts($1)', [sessionId]);
  return Number(rows[0]?.count ?? 0);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The timeline from the stored event log with the same engine (and directory) as the final calculation, so a
 * live session's chart becomes the persisted one once it is calculated. Open cycles have `leftAt: null`.
 */
export async function loadTimeline(pool: Pool, session: SessionRow, now: number): Promise<Timeline> {
  const events = await loadSessionFacts(pool, session.id);
  const users = await loadDirectoryFor(pool, events);
  const { window, people } = calculateAttendance({ session, users, events, now });
  return {
    window: window ? { start: iso(window.start), end: iso(window.end) } : null,
    people: people
      .filter((person) => person.cycles.length > 0)
      .map((person) => ({
        personKey: person.personKey,
        name: person.name ?? null,
        email: person.email ?? null,
        guest: person.guest,
        cycles: person.cycles.map((cycle) => ({
          joinedAt: iso(cycle.joinedAt),
          leftAt: cycle.leftAt === undefined ? null : iso(cycle.leftAt),
          closedBy: cycle.closedBy ?? null,
        })),
      })),
  };
}
