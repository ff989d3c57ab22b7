/**
 * Everyone's timeline kept up to date fact by fact, for a live view of a big room. A join, leave or report row
 * recomputes the cycles of its own connection and the timelines of the people it belongs to (before and after,
 * and of the connections sharing its guest key, whose identity links may move); everything else is kept, the
 * very objects, so a caller can cache per timeline. Facts that bear on every connection (a meeting end, a hard
 * stop, a reconcile snapshot) and a new roster or directory recompute everyone. What `view` gives equals
 * `calculateAttendance`'s people with cycles from the same facts.
 */
import { inSession, sessionWindow, type AttendanceContext } from './attendance.js';
import { columnsFromState } from './columns.js';
import { connectionCycles, type Cycle, type SessionFacts } from './cycles.js';
import type { AttendanceEvent } from './events.js';
import { buildDirectory, matchUser, personKeyOf, type Directory, type KnownUser } from './identity.js';
import { EarliestDescription, personTimeline, sortCycles, type PersonTimeline } from './people.js';
import { applyEvent, emptyState, endsFor, type AttendanceState } from './state.js';
import type { AttendanceWindow } from './window.js';

export interface LiveView {
  window: AttendanceWindow | undefined;
  /** Sorted by person key: the people of the session's result who have a cycle. */
  people: PersonTimeline[];
}

interface ConnectionEntry {
  /** Its own cycles (never bridged across moves: a person's timeline bridges copies). */
  cycles: Cycle[];
  /** Its own match in the directory. */
  user: KnownUser | undefined;
  guestKey: string;
  email: string | undefined;
  name: string | undefined;
  /** The person it is grouped under; undefined without cycles. */
  person: string | undefined;
}

const NO_SESSION_FACTS: SessionFacts = { reconciles: [], hardStops: [], hardStopClosesAt: [] };

export class LiveTimelines {
  readonly state: AttendanceState = emptyState();
  private directory: Directory;
  private roster: unknown;
  private users: unknown;
  /** Everyone must be recomputed; else only `changed` connections. */
  private everyone = true;
  private readonly changed = new Set<string>();
  private readonly connections = new Map<string, ConnectionEntry>();
  /** Guest key → its connections that have cycles: where identity links come from. */
  private readonly byGuestKey = new Map<string, Set<string>>();
  /** Person key → connections, and the timelines sorted by person key. */
  private readonly members = new Map<string, Set<string>>();
  private keys: string[] = [];
  private timelines: PersonTimeline[] = [];
  /** Connection timelines recomputed by the last refresh (what a tick cost). */
  recomputed = 0;

  constructor(context: AttendanceContext) {
    this.directory = buildDirectory(context.users, context.session.roster);
    this.roster = context.session.roster;
    this.users = context.users;
  }

  /** A roster or directory other than the one the timelines were resolved against (compared by identity). */
  setContext(context: AttendanceContext): void {
    if (context.session.roster === this.roster && context.users === this.users) return;
    this.directory = buildDirectory(context.users, context.session.roster);
    this.roster = context.session.roster;
    this.users = context.users;
    this.everyone = true;
  }

  add(events: readonly AttendanceEvent[]): void {
    for (const event of events) {
      if (!applyEvent(this.state, event)) continue;
      if (event.kind === 'joined' || event.kind === 'left' || event.kind === 'report-row')
        this.changed.add(event.connection);
      // the window reads meeting starts at every view; every other fact can close anyone's cycles
      else if (event.kind !== 'meeting-started') this.everyone = true;
    }
    // after a hard stop, every fact before it moves where it closes cycles
    if (this.state.hardStops.length > 0 && this.changed.size > 0) this.everyone = true;
  }

  view(context: AttendanceContext, now: number): LiveView {
    this.setContext(context);
    const session = this.refresh();
    let firstJoin: number | undefined;
    for (const t of this.timelines)
      if (firstJoin === undefined || t.cycles[0]!.joinedAt < firstJoin) firstJoin = t.cycles[0]!.joinedAt;
    const window = sessionWindow(
      { meetingStarts: this.state.meetingStarts, meetingEnds: this.state.meetingEnds, session },
      context.session,
      firstJoin,
      now,
    );
    return { window, people: this.timelines.filter((t) => inSession(t, this.directory, window, now)) };
  }

  private refresh(): SessionFacts {
    const { state } = this;
    const session =
      state.hardStops.length > 0
        ? columnsFromState(state).session
        : { ...NO_SESSION_FACTS, reconciles: state.reconciles };
    if (this.everyone) {
      this.connections.clear();
      this.byGuestKey.clear();
      this.members.clear();
      this.keys = [];
      this.timelines = [];
      for (const id of Object.keys(state.connections)) this.changed.add(id);
      this.everyone = false;
    }
    this.recomputed = this.changed.size;
    if (this.changed.size === 0) return session;

    // the changed connections' own cycles and matches; the guest keys whose links they may move
    const guestKeys = new Set<string>();
    for (const id of this.changed) {
      const facts = state.connections[id]!;
      const cycles = connectionCycles(id, facts, session, endsFor(state, facts.instances));
      const { guestKey, email, name, ids } = facts.person;
      const old = this.connections.get(id);
      if (old) {
        this.byGuestKey.get(old.guestKey)?.delete(id);
        guestKeys.add(old.guestKey);
      }
      const user = cycles.length > 0 ? matchUser(email, ids, this.directory) : undefined;
      this.connections.set(id, { cycles, user, guestKey, email, name, person: old?.person });
      if (cycles.length > 0) setOf(this.byGuestKey, guestKey).add(id);
      guestKeys.add(guestKey);
    }
    // regroup them and every connection sharing a guest key with them
    const people = new Set<string>();
    const regroup = (id: string) => {
      const entry = this.connections.get(id)!;
      const userId = entry.cycles.length === 0 ? undefined : (entry.user ?? this.linkedUser(entry.guestKey))?.userId;
      const person = entry.cycles.length === 0 ? undefined : personKeyOf(userId, entry.guestKey);
      if (person === entry.person) return;
      if (entry.person !== undefined) {
        this.members.get(entry.person)!.delete(id);
        people.add(entry.person);
      }
      if (person !== undefined) {
        setOf(this.members, person).add(id);
        people.add(person);
      }
      entry.person = person;
    };
    for (const id of this.changed) {
      regroup(id);
      const { person } = this.connections.get(id)!;
      if (person !== undefined) people.add(person);
    }
    for (const guestKey of guestKeys) for (const id of this.byGuestKey.get(guestKey) ?? []) regroup(id);
    this.changed.clear();
    for (const person of people) this.rebuild(person);
    return session;
  }

  /** The user another connection with this guest key matched (the smallest id), for connections matching none. */
  private linkedUser(guestKey: string): KnownUser | undefined {
    let linked: KnownUser | undefined;
    for (const id of this.byGuestKey.get(guestKey) ?? []) {
      const { user } = this.connections.get(id)!;
      if (user && (!linked || user.userId < linked.userId)) linked = user;
    }
    return linked;
  }

  /** The person's timeline from their connections' cycles, put in (or taken out of) its place in key order. */
  private rebuild(person: string): void {
    const members = this.members.get(person);
    const at = lowerBound(this.keys, person);
    const present = this.keys[at] === person;
    if (!members || members.size === 0) {
      this.members.delete(person);
      if (present) {
        this.keys.splice(at, 1);
        this.timelines.splice(at, 1);
      }
      return;
    }
    const cycles: Cycle[] = [];
    const described = new EarliestDescription();
    let first: ConnectionEntry | undefined;
    let moves = false;
    for (const id of members) {
      const entry = (first = this.connections.get(id)!);
      described.offer(entry.cycles[0]!, entry.email, entry.name);
      // cycles are shared with the connection's cache: bridging moves changes copies
      for (const c of entry.cycles) cycles.push(c.moved ? ((moves = true), { ...c }) : c);
    }
    sortCycles(cycles);
    const user = first!.user ?? this.linkedUser(first!.guestKey);
    const timeline = personTimeline(
      user,
      first!.guestKey,
      this.directory,
      described.email,
      described.name,
      cycles,
      moves,
    );
    if (present) this.timelines[at] = timeline;
    else {
      this.keys.splice(at, 0, person);
      this.timelines.splice(at, 0, timeline);
    }
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

/** Index of the first key `>= key` (code-unit order). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
