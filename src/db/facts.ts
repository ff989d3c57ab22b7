/**
 * Facts about provider rooms: the one log every attendance calculation reads. A fact is stored once, keyed by
 * its event key within its room; a webhook is acknowledged when its facts are committed here.
 */
import type { AttendanceEvent, Provider } from '../domain/events.js';
import type { Pool } from './pool.js';
import { storable } from './storable.js';

/** The room and meeting instance a fact is about ('' instance: a fact of one session, see `sessionId`). */
export interface FactRoom {
  provider: Provider;
  roomId: string;
  instanceId: string;
  /** The meeting's topic, when the provider names it (the title of an ad-hoc session). */
  topic?: string;
}

export interface StoreOptions {
  /** The fact concerns this session only (an operator's end, the hard stop): it is never relayed elsewhere. */
  sessionId?: string;
  /** Already known to its session (it produced the fact itself): the relay need not deliver it. */
  relayed?: boolean;
}

/**
 * Inserts `events` as facts of `room` in one statement; facts already stored (same key) are skipped, so a
 * provider's retry changes nothing. Returns how many were new. Every string is made storable first: provider
 * JSON may hold NUL or lone surrogates that PostgreSQL refuses, and a refused fact would be a lost one.
 */
export async function storeFacts(
  pool: Pool,
  room: FactRoom,
  events: readonly AttendanceEvent[],
  options: StoreOptions = {},
): Promise<number> {
  if (events.length === 0) return 0;
  const facts = storable(events);
  const { rowCount } = await pool.query(
    `INSERT INTO room_facts (provider, room, instance_id, event_key, kind, source, occurred_at, connection, event, session_id, relayed, topic)
     SELECT $1, $2, $3, k, kind, src, at, conn, ev, $4, $5, $12
     FROM unnest($6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::jsonb[]) AS f(k, kind, src, at, conn, ev)
     ON CONFLICT (provider, room, event_key) DO NOTHING`,
    [
      room.provider,
      storable(room.roomId),
      storable(room.instanceId),
      options.sessionId ?? null,
      options.relayed ?? false,
      facts.map((event) => event.key),
      facts.map((event) => event.kind),
      facts.map((event) => event.source),
      facts.map((event) => new Date(event.at)),
      facts.map((event) => ('connection' in event ? event.connection : null)),
      facts.map((event) => JSON.stringify(event)),
      room.topic === undefined ? null : storable(room.topic),
    ],
  );
  return rowCount ?? 0;
}

/** Every fact that bears on the session's window (see the `session_facts` function in the migrations). */
export async function loadSessionFacts(pool: Pool, sessionId: string): Promise<AttendanceEvent[]> {
  const { rows } = await pool.query<{ event: AttendanceEvent }>('SELECT event FROM session_facts($1)', [sessionId]);
  return rows.map((row) => row.event);
}

/**
 * What tells whether the set of facts bearing on a session changed: how many, the sum of their sequence numbers
 * and the largest. A reader that added up the facts it read compares it with its own sums: anything but new facts
 * after its last one (an instance that began to bear on the session with older facts, a fact committed late
 * with a smaller number, a changed fact span) shows as a difference.
 */
export interface FactSetDigest {
  count: number;
  seqSum: bigint;
  lastSeq: bigint;
}

export async function sessionFactsDigest(pool: Pool, sessionId: string): Promise<FactSetDigest> {
  const { rows } = await pool.query<{ count: number; seq_sum: string; last_seq: string }>(
    'SELECT count(*)::int AS count, coalesce(sum(seq), 0)::text AS seq_sum, coalesce(max(seq), 0)::text AS last_seq FROM session_facts($1)',
    [sessionId],
  );
  const row = rows[0]!;
  return { count: row.count, seqSum: BigInt(row.seq_sum), lastSeq: BigInt(row.last_seq) };
}

/** The session's facts numbered in (after, upTo], in order, with their numbers. */
export async function loadSessionFactsBetween(
  pool: Pool,
  sessionId: string,
  after: bigint,
  upTo: bigint,
): Promise<Array<{ seq: bigint; event: AttendanceEvent }>> {
  const { rows } = await pool.query<{ seq: string; event: AttendanceEvent }>(
    'SELECT seq::text, event FROM session_facts($1) WHERE seq > $2 AND seq <= $3 ORDER BY seq',
    [sessionId, after.toString(), upTo.toString()],
  );
  return rows.map((row) => ({ seq: BigInt(row.seq), event: row.event }));
}

/** The keys of the session's facts: what tests and operators compare with a provider's record. */
export async function sessionFactKeys(pool: Pool, sessionId: string): Promise<string[]> {
  const { rows } = await pool.query<{ event_key: string }>(
    'SELECT event_key FROM session_facts($1) ORDER BY event_key',
    [sessionId],
  );
  return rows.map((row) => row.event_key);
}

/** A fact waiting for the relay. */
export interface UnrelayedFact {
  seq: string;
  room: FactRoom;
  event: AttendanceEvent;
  /** A fact of one session only (an operator's end): it goes to that session alone. */
  sessionId?: string;
}

type Queryable = Pick<Pool, 'query'>;

/**
 * Locks up to `limit` facts not yet relayed, oldest first, skipping those another relay holds: several API
 * processes drain the same table without delivering a fact twice at once. Call inside a transaction.
 */
export async function claimUnrelayedFacts(db: Queryable, limit: number): Promise<UnrelayedFact[]> {
  const { rows } = await db.query<{
    seq: string;
    provider: Provider;
    room: string;
    instance_id: string;
    topic: string | null;
    event: AttendanceEvent;
    session_id: string | null;
  }>(
    `SELECT seq, provider, room, instance_id, topic, event, session_id FROM room_facts WHERE NOT relayed ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((row) => ({
    seq: row.seq,
    room: {
      provider: row.provider,
      roomId: row.room,
      instanceId: row.instance_id,
      ...(row.topic !== null && { topic: row.topic }),
    },
    event: row.event,
    ...(row.session_id !== null && { sessionId: row.session_id }),
  }));
}

export async function markRelayed(db: Queryable, seqs: readonly string[]): Promise<void> {
  if (seqs.length > 0) await db.query('UPDATE room_facts SET relayed = true WHERE seq = ANY($1::bigint[])', [seqs]);
}

/** How many facts wait for the relay (readiness and metrics). */
export async function unrelayedCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM room_facts WHERE NOT relayed');
  return Number(rows[0]!.n);
}
