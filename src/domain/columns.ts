/**
 * The engine's working form of the facts: one row per connection, times in flat typed arrays (each connection's
 * joins and leaves a sorted, duplicate-free slice), people and instances in parallel arrays. Computing attendance
 * from it allocates nothing per event; only the result's own objects are made.
 *
 * Two ways in, equal by construction (property tests check it): from the state the workflow keeps
 * (`columnsFromState`), and straight from an event log (`columnsFromEvents`), which folds events exactly as
 * `applyEvent` does without building a state's per-connection objects — the bulk of a from-scratch calculation.
 */
import type { AttendanceEvent, PersonRef } from './events.js';
import type { ConnectionFacts, SessionFacts } from './cycles.js';
import { normaliseEmail } from './identity.js';
import { insertUnique, insertUniqueSpan, lastAtOrBefore, type Span } from './sorted-sets.js';
import { endsFor, type AttendanceState } from './state.js';

export interface FactColumns {
  /** Connection ids (the state's keys), row order. */
  ids: string[];
  /** What the provider said about each connection's person (see `ProviderPerson`), one array per field. */
  guestKeys: string[];
  emails: Array<string | undefined>;
  names: Array<string | undefined>;
  userIds: Array<readonly string[] | undefined>;
  /** Per row: the meeting ends that close the connection (its instance's, and those naming none). */
  ends: Array<readonly number[]>;
  /** Row i's joins are `joins[joinFrom[i] .. joinFrom[i + 1])`, sorted, unique; leaves likewise. */
  joinFrom: Int32Array;
  joins: Float64Array;
  leaveFrom: Int32Array;
  leaves: Float64Array;
  /** Rows with report rows, reconcile listings or moves: their whole facts, for the general walk. Else undefined. */
  complex: Array<ConnectionFacts | undefined>;
  meetingStarts: readonly number[];
  meetingEnds: readonly number[];
  session: SessionFacts;
  /** Latest event time of all (undefined with no events). */
  latest: number | undefined;
}

/** The columns of a state (as the workflow keeps it); its arrays are read, never changed. */
export function columnsFromState(state: AttendanceState): FactColumns {
  const ids = Object.keys(state.connections);
  const n = ids.length;
  const guestKeys = new Array<string>(n);
  const emails = new Array<string | undefined>(n);
  const names = new Array<string | undefined>(n);
  const userIds = new Array<readonly string[] | undefined>(n);
  const ends = new Array<readonly number[]>(n);
  const complex = new Array<ConnectionFacts | undefined>(n);
  const joinFrom = new Int32Array(n + 1);
  const leaveFrom = new Int32Array(n + 1);
  let joinCount = 0;
  let leaveCount = 0;
  for (let i = 0; i < n; i++) {
    const c = state.connections[ids[i]!]!;
    joinCount += c.joins.length;
    leaveCount += c.leaves.length;
  }
  const joins = new Float64Array(joinCount);
  const leaves = new Float64Array(leaveCount);
  const endsCache = new EndsCache((instances) => endsFor(state, instances), state.meetingEnds);
  // with reconcile snapshots every connection may be closed by one: the general walk for all
  const general = state.reconciles.length > 0;
  let j = 0;
  let l = 0;
  for (let i = 0; i < n; i++) {
    const c = state.connections[ids[i]!]!;
    const { person } = c;
    guestKeys[i] = person.guestKey;
    emails[i] = person.email;
    names[i] = person.name;
    userIds[i] = person.ids;
    ends[i] = endsCache.get(c.instances);
    joinFrom[i] = j;
    leaveFrom[i] = l;
    for (const t of c.joins) joins[j++] = t;
    for (const t of c.leaves) leaves[l++] = t;
    complex[i] =
      general || c.reports.length > 0 || c.listed.length > 0 || (c.moves !== undefined && c.moves.length > 0)
        ? c
        : undefined;
  }
  joinFrom[n] = j;
  leaveFrom[n] = l;
  let latest = -Infinity;
  for (const times of [state.meetingStarts, state.meetingEnds, state.reconciles])
    if (times.length > 0) latest = Math.max(latest, times.at(-1)!);
  return finish(
    {
      ids,
      guestKeys,
      emails,
      names,
      userIds,
      ends,
      joinFrom,
      joins,
      leaveFrom,
      leaves,
      complex,
      meetingStarts: state.meetingStarts,
      meetingEnds: state.meetingEnds,
    },
    state.reconciles,
    state.hardStops,
    latest,
  );
}

/** The ends closing a connection, per distinct instance list (a room has one or a few instances). */
class EndsCache {
  private readonly known = new Map<string, readonly number[]>();
  constructor(
    private readonly compute: (instances: readonly string[]) => readonly number[],
    private readonly all: readonly number[],
  ) {}
  /** `instances`: a sorted list, or one instance as a plain string. */
  get(instances: string | readonly string[] | undefined): readonly number[] {
    if (instances === undefined || instances.length === 0) return this.all;
    const key =
      typeof instances === 'string' ? instances : instances.length === 1 ? instances[0]! : instances.join('\n');
    let ends = this.known.get(key);
    if (ends === undefined)
      this.known.set(key, (ends = this.compute(typeof instances === 'string' ? [instances] : instances)));
    return ends;
  }
}

type Partial = Omit<FactColumns, 'session' | 'latest'>;

/** Adds what depends on every time: the latest evidence, and where each hard stop closes cycles. */
function finish(
  columns: Partial,
  reconciles: readonly number[],
  hardStops: readonly number[],
  latestSession: number,
): FactColumns {
  let latest = Math.max(latestSession, lastUpTo(columns.joins, Infinity), lastUpTo(columns.leaves, Infinity));
  for (const c of columns.complex)
    if (c) for (const [joinedAt, leftAt] of c.reports) latest = Math.max(latest, joinedAt, leftAt);
  const full = {
    ...columns,
    session: { reconciles, hardStops, hardStopClosesAt: [] as number[] },
    latest: latest === -Infinity ? undefined : latest,
  };
  full.session.hardStopClosesAt = hardStops.map((at) => latestEvidenceOf(full, reconciles, at) ?? at);
  return full;
}

/** The latest time any fact happened at, at or before `limit`: the last evidence the meeting was live. */
function latestEvidenceOf(
  columns: Omit<FactColumns, 'session' | 'latest'>,
  reconciles: readonly number[],
  limit: number,
): number | undefined {
  let latest = -Infinity;
  for (const times of [columns.meetingStarts, columns.meetingEnds, reconciles])
    latest = Math.max(latest, lastAtOrBefore(times, limit) ?? -Infinity);
  latest = Math.max(latest, lastUpTo(columns.joins, limit), lastUpTo(columns.leaves, limit));
  for (const c of columns.complex) {
    if (!c) continue;
    for (const [joinedAt, leftAt] of c.reports) {
      if (leftAt <= limit) latest = Math.max(latest, leftAt);
      else if (joinedAt <= limit) latest = Math.max(latest, joinedAt);
    }
  }
  return latest === -Infinity ? undefined : latest;
}

/** The largest time `<= limit` (-Infinity if none); an index loop, as `for … of` boxes every element it yields. */
function lastUpTo(times: Float64Array, limit: number): number {
  let latest = -Infinity;
  for (let k = 0; k < times.length; k++) {
    const t = times[k]!;
    if (t <= limit && t > latest) latest = t;
  }
  return latest;
}

/**
 * The columns of an event log, folded exactly as `applyEvent` folds it into a state (any order, any
 * duplication). Undefined for a log with reconcile snapshots, whose listings only the state folds.
 */
export function columnsFromEvents(events: readonly AttendanceEvent[]): FactColumns | undefined {
  const index = new Map<string, number>();
  // per row, sized for the most rows there can be (one per event) and cut to the real count at the end: growing
  // them by push would copy each several times
  const most = events.length;
  const ids = new Array<string>(most);
  const guestKeys = new Array<string>(most);
  const emails = new Array<string | undefined>(most);
  const names = new Array<string | undefined>(most);
  const userIds = new Array<string[] | undefined>(most);
  const lastRef = new Array<PersonRef>(most);
  // one instance as a plain string (the usual case), more as a sorted list
  const instances = new Array<string | string[] | undefined>(most);
  const extra = new Array<{ reports: Span[]; moves: number[] } | undefined>(most);
  let n = 0;
  // (row, time) of every join and leave, in arrival order; sorted per row below
  // (every event gives at most one join: its own, or a leave's join time)
  const joinRow = new Int32Array(events.length);
  const joinAt = new Float64Array(events.length);
  const leaveRow = new Int32Array(events.length);
  const leaveAt = new Float64Array(events.length);
  let nj = 0;
  let nl = 0;
  const meetingStarts: number[] = [];
  const meetingEnds: number[] = [];
  const sessionEnds: number[] = [];
  const instanceEnds: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const hardStops: number[] = [];

  for (const event of events) {
    const at = event.at;
    if (!Number.isFinite(at)) continue;
    switch (event.kind) {
      case 'joined':
      case 'left':
      case 'report-row': {
        let row = index.get(event.connection);
        if (row === undefined) {
          row = n++;
          index.set(event.connection, row);
          ids[row] = event.connection;
          guestKeys[row] = event.person.guestKey;
          lastRef[row] = event.person;
          mergePerson(row, event.person);
        } else if (lastRef[row] !== event.person) {
          lastRef[row] = event.person;
          mergePerson(row, event.person);
        }
        const instance = event.instance;
        if (instance !== undefined) {
          const known = instances[row];
          if (known === undefined) instances[row] = instance;
          else if (typeof known === 'string') {
            if (known !== instance) instances[row] = known < instance ? [known, instance] : [instance, known];
          } else insertUnique(known, instance);
        }
        if (event.kind === 'joined') {
          joinRow[nj] = row;
          joinAt[nj++] = at;
        } else if (event.kind === 'left') {
          leaveRow[nl] = row;
          leaveAt[nl++] = at;
          const joinedAt = event.joinedAt;
          if (joinedAt !== undefined && Number.isFinite(joinedAt) && joinedAt <= at) {
            joinRow[nj] = row;
            joinAt[nj++] = joinedAt;
          }
          if (event.moved === true) insertUnique((extra[row] ??= { reports: [], moves: [] }).moves, at);
        } else {
          const leftAt = Number.isFinite(event.leftAt) ? Math.max(at, event.leftAt) : at;
          insertUniqueSpan((extra[row] ??= { reports: [], moves: [] }).reports, [at, leftAt]);
        }
        break;
      }
      case 'reconcile':
        return undefined;
      case 'meeting-started':
        insertUnique(meetingStarts, at);
        break;
      case 'meeting-ended':
        insertUnique(meetingEnds, at);
        if (event.instance === undefined) insertUnique(sessionEnds, at);
        else insertUnique((instanceEnds[event.instance] ??= []), at);
        break;
      case 'hard-stop':
        insertUnique(hardStops, at);
        break;
    }
  }

  for (const rows of [ids, guestKeys, emails, names, userIds]) rows.length = n;
  const [joinFrom, joins] = sortedRows(n, joinRow, joinAt, nj);
  const [leaveFrom, leaves] = sortedRows(n, leaveRow, leaveAt, nl);
  const endsCache = new EndsCache((own) => endsOf(meetingEnds, sessionEnds, instanceEnds, own), meetingEnds);
  const ends = new Array<readonly number[]>(n);
  const complex = new Array<ConnectionFacts | undefined>(n);
  for (let i = 0; i < n; i++) {
    ends[i] = endsCache.get(instances[i]);
    const x = extra[i];
    complex[i] = x && {
      joins: Array.from(joins.subarray(joinFrom[i], joinFrom[i + 1])),
      leaves: Array.from(leaves.subarray(leaveFrom[i], leaveFrom[i + 1])),
      reports: x.reports,
      listed: [],
      ...(x.moves.length > 0 && { moves: x.moves }),
    };
  }
  let latest = -Infinity;
  for (const times of [meetingStarts, meetingEnds]) if (times.length > 0) latest = Math.max(latest, times.at(-1)!);
  return finish(
    {
      ids,
      guestKeys,
      emails,
      names,
      userIds,
      ends,
      joinFrom,
      joins,
      leaveFrom,
      leaves,
      complex,
      meetingStarts,
      meetingEnds,
    },
    [],
    hardStops,
    latest,
  );

  /** `applyEvent`'s person merge (state.ts): the smallest guest key, email and name win, provider ids accumulate. */
  function mergePerson(row: number, ref: PersonRef): void {
    if (ref.guestKey < guestKeys[row]!) guestKeys[row] = ref.guestKey;
    if (ref.email !== undefined) {
      const email = normaliseEmail(ref.email);
      const known = emails[row];
      if (email !== undefined && (known === undefined || email < known)) emails[row] = email;
    }
    if (ref.name !== undefined) {
      const name = ref.name.trim();
      const known = names[row];
      if (name && (known === undefined || name < known)) names[row] = name;
    }
    const ids = ref.providerUserIds;
    if (ids !== undefined) for (const id of ids) if (id) insertUnique((userIds[row] ??= []), id);
  }
}

/** `endsFor` over the folded end lists. */
function endsOf(
  all: readonly number[],
  sessionEnds: readonly number[],
  byInstance: Record<string, number[]>,
  instances: readonly string[],
): readonly number[] {
  const own = instances.map((i) => byInstance[i] ?? []).filter((t) => t.length > 0);
  if (own.length === 0) return sessionEnds.length === all.length ? all : sessionEnds;
  if (own.length === 1 && sessionEnds.length === 0) return own[0]!;
  return [...new Set([...sessionEnds, ...own.flat()])].sort((a, b) => a - b);
}

/** Groups (row, time) pairs by row (counting sort), sorts each row's times and drops duplicates: CSR offsets and times. */
function sortedRows(n: number, rows: Int32Array, times: Float64Array, count: number): [Int32Array, Float64Array] {
  const from = new Int32Array(n + 1);
  for (let k = 0; k < count; k++) from[rows[k]! + 1]!++;
  for (let i = 0; i < n; i++) from[i + 1]! += from[i]!;
  const next = from.slice(0, n);
  const sorted = new Float64Array(count);
  for (let k = 0; k < count; k++) sorted[next[rows[k]!]!++] = times[k]!;
  // sort each row (a few times each: insertion sort), then compact away duplicates
  let w = 0;
  for (let i = 0; i < n; i++) {
    const start = from[i]!;
    const end = from[i + 1]!;
    for (let a = start + 1; a < end; a++) {
      const t = sorted[a]!;
      let b = a - 1;
      while (b >= start && sorted[b]! > t) {
        sorted[b + 1] = sorted[b]!;
        b--;
      }
      sorted[b + 1] = t;
    }
    from[i] = w;
    for (let a = start; a < end; a++) if (a === start || sorted[a] !== sorted[a - 1]) sorted[w++] = sorted[a]!;
  }
  from[n] = w;
  return [from, w === count ? sorted : sorted.slice(0, w)];
}
