/**
 * Cycles of one connection: its joins and leaves paired by provider time (never by arrival order), and every
 * open cycle closed by the first evidence that it ended.
 *
 * - Joins while a cycle is open merge into it; a leave with nothing open is no evidence of presence and is
 *   ignored, except that it ends a cycle that opened at the very same instant (a zero-length cycle).
 * - A reconcile snapshot listing the connection while nothing is open opens a cycle (a missed join).
 * - An open cycle ends at the earliest of: its own leave ('left'); a meeting end ('meeting-ended', at the end
 *   time); a snapshot not listing it ('reconcile', at the last time it was confirmed present); the hard stop
 *   ('hard-stop', at the last evidence that the meeting was live). At equal times the order is: leave, joins
 *   and listings, meeting end, reconcile, hard stop — so a leave ends the cycle it belongs to before a join at
 *   the same instant reopens, and a join at the end time is still ended by the end.
 * - Cycles with no closing evidence stay open (no `leftAt`): that is live presence.
 * - Report rows are complete cycles of their own ('report'); a row identical to a webhook cycle is dropped.
 * - Meeting ends are the connection's own: the ends of its instance and the ends that name no instance.
 * - A cycle ended by a leave that moved to another room of the meeting is marked `moved` (people.ts bridges it).
 */
import { listingOpeners, reconcileClosure, type ReconcileClosure } from './reconcile.js';
import { compareStrings, type Span } from './sorted-sets.js';

export type ClosedBy = 'left' | 'meeting-ended' | 'reconcile' | 'hard-stop' | 'report';

export interface Cycle {
  connection: string;
  joinedAt: number;
  /** Undefined while the cycle is open. */
  leftAt?: number;
  closedBy?: ClosedBy;
  /** Set only while people are grouped: its leave moved to another room of the meeting. Never in a result. */
  moved?: true;
}

/** What is known about one connection; arrays sorted and duplicate-free. */
export interface ConnectionFacts {
  joins: number[];
  leaves: number[];
  /** Report rows: whole cycles `[joinedAt, leftAt]`. */
  reports: Span[];
  /** Runs of consecutive reconcile snapshots that listed the connection (see reconcile.ts). */
  listed: Span[];
  /** Leaves (also in `leaves`) that moved to another room of the same meeting (Zoom breakout rooms). */
  moves?: number[];
}

/** Session-wide facts that close cycles; arrays sorted. Meeting ends are per connection (see `connectionCycles`). */
export interface SessionFacts {
  reconciles: readonly number[];
  hardStops: readonly number[];
  /** Where each hard stop (same index) closes cycles: the latest event time at or before it — the last moment the meeting was known to be live — else its own time. */
  hardStopClosesAt: readonly number[];
}

// Kinds of fact, in their order at equal times. RECONCILE is not a stream: it is computed per open cycle.
const LEAVE = 0;
const OPEN = 1;
const MEETING_END = 2;
const RECONCILE = 3;
const HARD_STOP = 4;
const NONE: readonly number[] = [];

/**
 * The connection's cycles, in `compareCycles` order (the walk yields them in that order; report rows are merged in).
 * `meetingEnds`: the ends that close this connection (its instance's and those naming none), sorted.
 */
export function connectionCycles(
  connection: string,
  facts: ConnectionFacts,
  session: SessionFacts,
  meetingEnds: readonly number[],
): Cycle[] {
  const leaves = facts.leaves;
  const openers =
    facts.listed.length > 0
      ? sortedUnion(
          facts.joins,
          listingOpeners(facts.listed, session.reconciles, [...leaves, ...meetingEnds, ...session.hardStops]),
        )
      : facts.joins;
  const cycles =
    openers.length > 0
      ? walk(
          connection,
          facts.listed,
          session,
          [leaves, openers, meetingEnds, NONE, session.hardStops],
          facts.moves ?? NONE,
        )
      : [];
  if (facts.reports.length === 0) return cycles;
  for (const [joinedAt, leftAt] of facts.reports) {
    if (!cycles.some((c) => c.joinedAt === joinedAt && c.leftAt === leftAt))
      cycles.push({ connection, joinedAt, leftAt, closedBy: 'report' });
  }
  return cycles.sort(compareCycles);
}

/**
 * `connectionCycles` for the common connection: joins and leaves only (no report rows, reconcile listings or
 * moves, and no snapshots in the session), read from slices of flat arrays; its cycles are pushed to `cycles`. The same
 * walk, without its general
 * machinery: the facts in (time, kind) order — leave, join, meeting end, hard stop.
 */
export function simpleCycles(
  cycles: Cycle[],
  connection: string,
  joins: Float64Array,
  joinFrom: number,
  joinTo: number,
  leaves: Float64Array,
  leaveFrom: number,
  leaveTo: number,
  meetingEnds: readonly number[],
  session: SessionFacts,
): void {
  const hardStops = session.hardStops;
  let j = joinFrom;
  let l = leaveFrom;
  let e = 0;
  let h = 0;
  let open = false;
  let joinedAt = 0;
  for (;;) {
    // with nothing open and no join left, nothing can open again
    if (!open && j === joinTo) break;
    let at = Infinity;
    let kind = -1;
    if (l < leaveTo) {
      at = leaves[l]!;
      kind = LEAVE;
    }
    if (j < joinTo && joins[j]! < at) {
      at = joins[j]!;
      kind = OPEN;
    }
    if (e < meetingEnds.length && meetingEnds[e]! < at) {
      at = meetingEnds[e]!;
      kind = MEETING_END;
    }
    if (h < hardStops.length && hardStops[h]! < at) {
      at = hardStops[h]!;
      kind = HARD_STOP;
    }
    if (kind < 0) break;
    if (kind === LEAVE) l++;
    else if (kind === OPEN) j++;
    else if (kind === MEETING_END) e++;
    else h++;

    if (!open) {
      if (kind === OPEN) {
        open = true;
        joinedAt = at;
      } else if (kind === LEAVE && j < joinTo && joins[j] === at) {
        // nothing open, but a join at the same instant: the leave ends it (a zero-length cycle)
        while (j < joinTo && joins[j] === at) j++;
        cycles.push({ connection, joinedAt: at, leftAt: at, closedBy: 'left' });
      }
      continue;
    }
    if (kind === LEAVE) cycles.push({ connection, joinedAt, leftAt: at, closedBy: 'left' });
    else if (kind === MEETING_END) cycles.push({ connection, joinedAt, leftAt: at, closedBy: 'meeting-ended' });
    else if (kind === HARD_STOP)
      cycles.push({
        connection,
        joinedAt,
        leftAt: Math.max(joinedAt, session.hardStopClosesAt[h - 1]!),
        closedBy: 'hard-stop',
      });
    else continue; // a join while open merges into the cycle
    open = false;
  }
  if (open) cycles.push({ connection, joinedAt });
}

/** Walks the facts in (time, kind) order, merging the sorted streams (indexed by kind) without building a list. */
function walk(
  connection: string,
  listed: readonly Span[],
  session: SessionFacts,
  streams: ReadonlyArray<readonly number[]>,
  moves: readonly number[],
): Cycle[] {
  const next = [0, 0, 0, 0, 0];
  const cycles: Cycle[] = [];
  let joinedAt: number | undefined;
  let pending: ReconcileClosure | undefined;
  for (;;) {
    let at = Infinity;
    let kind = -1;
    for (let k = 0; k < streams.length; k++) {
      const t = streams[k]![next[k]!];
      if (t !== undefined && t < at) {
        at = t;
        kind = k;
      }
    }
    if (kind < 0) break;
    next[kind]!++;

    if (joinedAt !== undefined && pending && (pending.at < at || (pending.at === at && RECONCILE < kind))) {
      cycles.push({ connection, joinedAt, leftAt: pending.leftAt, closedBy: 'reconcile' });
      joinedAt = pending = undefined;
    }
    if (joinedAt === undefined) {
      if (kind === OPEN) {
        joinedAt = at;
        pending = reconcileClosure(listed, session.reconciles, at);
      } else if (kind === LEAVE && streams[OPEN]![next[OPEN]!] === at) {
        // nothing open, but a join at the same instant: the leave ends it (a zero-length cycle)
        while (streams[OPEN]![next[OPEN]!] === at) next[OPEN]!++;
        cycles.push(leftCycle(connection, at, at, moves));
      }
      continue;
    }
    switch (kind) {
      case LEAVE:
        cycles.push(leftCycle(connection, joinedAt, at, moves));
        break;
      case MEETING_END:
        cycles.push({ connection, joinedAt, leftAt: at, closedBy: 'meeting-ended' });
        break;
      case HARD_STOP:
        cycles.push({
          connection,
          joinedAt,
          leftAt: Math.max(joinedAt, session.hardStopClosesAt[next[HARD_STOP]! - 1]!),
          closedBy: 'hard-stop',
        });
        break;
      default:
        continue; // a join while open merges into the cycle
    }
    joinedAt = pending = undefined;
  }
  if (joinedAt !== undefined)
    cycles.push(
      pending ? { connection, joinedAt, leftAt: pending.leftAt, closedBy: 'reconcile' } : { connection, joinedAt },
    );
  return cycles;
}

function leftCycle(connection: string, joinedAt: number, leftAt: number, moves: readonly number[]): Cycle {
  return moves.length > 0 && moves.includes(leftAt)
    ? { connection, joinedAt, leftAt, closedBy: 'left', moved: true }
    : { connection, joinedAt, leftAt, closedBy: 'left' };
}

function sortedUnion(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** Join time, then connection, then leave time (open last): the order of a person's cycles. */
export function compareCycles(a: Cycle, b: Cycle): number {
  return (
    a.joinedAt - b.joinedAt ||
    compareStrings(a.connection, b.connection) ||
    compareLeftAt(a.leftAt, b.leftAt) ||
    compareStrings(a.closedBy ?? '', b.closedBy ?? '')
  );
}

function compareLeftAt(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a - b;
}
