import { toDateOrNull, toEpochMs } from '../time.js';
import type { Pool } from './pool.js';
import type { FactSpan, RoutableSession } from '../sessions/routing.js';
import { SESSION_PHASES, type SessionPhase } from '../domain/phases.js';
import type { SessionSpec } from '../workflows/types.js';

export interface SessionRow extends SessionSpec {
  workflowId: string;
  status: SessionPhase;
  meetingStarted?: number;
  meetingEnded?: number;
  /** When attendance was last calculated, if ever. */
  calculatedAt?: number;
  /** The sequence number of the newest saved calculation (0: none). */
  calculationSeq: number;
  createdAt: number;
}

interface DbRow {
  id: string;
  workflow_id: string;
  provider: SessionSpec['provider'];
  room: string;
  instance_id: string | null;
  title: string | null;
  ad_hoc: boolean;
  scheduled_start: Date | null;
  scheduled_end: Date | null;
  roster: SessionSpec['roster'];
  policy: SessionSpec['policy'];
  status: SessionPhase;
  meeting_started: Date | null;
  meeting_ended: Date | null;
  calculated_at: Date | null;
  created_at: Date;
  facts_from: Date | null;
  facts_to: Date | null;
  calculation_seq: number;
}

function fromDb(row: DbRow): SessionRow {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    provider: row.provider,
    room: row.room,
    instanceId: row.instance_id ?? undefined,
    title: row.title ?? undefined,
    adHoc: row.ad_hoc,
    scheduledStart: toEpochMs(row.scheduled_start),
    scheduledEnd: toEpochMs(row.scheduled_end),
    roster: row.roster,
    policy: row.policy,
    status: row.status,
    meetingStarted: toEpochMs(row.meeting_started),
    meetingEnded: toEpochMs(row.meeting_ended),
    calculatedAt: toEpochMs(row.calculated_at),
    calculationSeq: row.calculation_seq,
    createdAt: row.created_at.getTime(),
  };
}

/**
 * Inserts the session unless its id exists; returns the stored row either way so callers can detect conflicts.
 * `span`: the provider time a registered session reads facts from (see sessions/routing.ts).
 */
export async function insertSession(
  pool: Pool,
  spec: SessionSpec,
  workflowId: string,
  span: FactSpan | undefined,
): Promise<{ row: SessionRow; created: boolean }> {
  const inserted = await pool.query<DbRow>(
    `INSERT INTO sessions (id, workflow_id, provider, room, instance_id, title, ad_hoc, scheduled_start, scheduled_end, roster, policy,
       facts_from, facts_to, instances_since)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (id) DO NOTHING RETURNING *`,
    [
      spec.id,
      workflowId,
      spec.provider,
      spec.room,
      spec.instanceId ?? null,
      spec.title ?? null,
      spec.adHoc,
      toDateOrNull(spec.scheduledStart),
      toDateOrNull(spec.scheduledEnd),
      JSON.stringify(spec.roster),
      JSON.stringify(spec.policy),
      toDateOrNull(span?.factsFrom),
      toDateOrNull(span?.factsTo),
      toDateOrNull(span?.instancesSince),
    ],
  );
  if (inserted.rows[0]) return { row: fromDb(inserted.rows[0]), created: true };
  const existing = await getSession(pool, spec.id);
  if (!existing) throw new Error(`session ${spec.id} vanished during insert`);
  return { row: existing, created: false };
}

export async function getSession(pool: Pool, id: string): Promise<SessionRow | undefined> {
  const { rows } = await pool.query<DbRow>('SELECT * FROM sessions WHERE id = $1', [id]);
  return rows[0] && fromDb(rows[0]);
}

/** True when two specs describe the same registration (a retried POST), so it can be answered idempotently. */
export function sameRegistration(a: SessionSpec, b: SessionSpec): boolean {
  const key = (spec: SessionSpec) =>
    canonicalJson([
      spec.provider,
      spec.room,
      spec.title ?? null,
      spec.scheduledStart,
      spec.scheduledEnd,
      spec.roster,
      spec.policy,
    ]);
  return key(a) === key(b);
}

/** JSON with object keys sorted: jsonb does not keep the key order a request used. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Records where the workflow is (status, meeting start/end evidence) for readers of the sessions table. A
 * phase only moves forward: a late write of an earlier phase (a retried activity) changes nothing.
 */
export async function updateSessionPhase(
  pool: Pool,
  id: string,
  status: SessionPhase,
  meetingStarted?: number,
  meetingEnded?: number,
): Promise<void> {
  await pool.query(
    `UPDATE sessions SET status = $2, meeting_started = coalesce($3, meeting_started), meeting_ended = coalesce($4, meeting_ended), updated_at = now()
     WHERE id = $1 AND array_position($5::text[], status) <= array_position($5::text[], $2)`,
    [id, status, toDateOrNull(meetingStarted), toDateOrNull(meetingEnded), SESSION_PHASES],
  );
}

export async function getSessions(pool: Pool, ids: readonly string[]): Promise<SessionRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query<DbRow>('SELECT * FROM sessions WHERE id = ANY($1::text[])', [ids]);
  return rows.map(fromDb);
}

/** Registered sessions of these rooms whose fact span overlaps [from, to] (epoch ms): one query for a relay batch. */
export async function sessionsForRooms(
  pool: Pool,
  rooms: ReadonlyArray<{ provider: string; room: string }>,
  from: number,
  to: number,
): Promise<RoutableSession[]> {
  if (rooms.length === 0) return [];
  const { rows } = await pool.query<DbRow>(
    `SELECT s.* FROM sessions s JOIN unnest($1::text[], $2::text[]) AS r(provider, room) ON s.provider = r.provider AND s.room = r.room
     WHERE NOT s.ad_hoc AND s.facts_from <= $4 AND s.facts_to >= $3`,
    [rooms.map((r) => r.provider), rooms.map((r) => r.room), new Date(from), new Date(to)],
  );
  return rows.map((row) => ({
    ...fromDb(row),
    factsFrom: row.facts_from!.getTime(),
    factsTo: row.facts_to!.getTime(),
  }));
}

/**
 * Sessions whose end (the meeting's, else the scheduled one) lies in [since, now], oldest first; without
 * `includeCalculated` only those not yet calculated. For `rollcall recalculate --since` and the daily Zoom report sync.
 */
export async function sessionsEndedSince(pool: Pool, since: number, includeCalculated: boolean): Promise<SessionRow[]> {
  const { rows } = await pool.query<DbRow>(
    `SELECT * FROM sessions WHERE coalesce(meeting_ended, scheduled_end) BETWEEN $1 AND now() AND ($2 OR status <> 'calculated')
     ORDER BY coalesce(meeting_ended, scheduled_end), id`,
    [new Date(since), includeCalculated],
  );
  return rows.map(fromDb);
}
