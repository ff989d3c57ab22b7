/**
 * The engine's state: every fact the event log has given, folded so that it grows with connections and
 * cycles, never with the number of events. Plain objects and sorted arrays only, so it survives a JSON round
 * trip (Temporal payloads, continue-as-new). It is canonical: the same set of events gives a deep-equal state
 * whatever their order or duplication, which is why incremental and from-scratch results are identical.
 */
import type { AttendanceEvent, PersonRef, ReconcileEvent } from './events.js';
import type { ConnectionFacts } from './cycles.js';
import { normaliseEmail, type ProviderPerson } from './identity.js';
import { markListed, markUnlisted } from './reconcile.js';
import { insertUnique, insertUniqueSpan } from './sorted-sets.js';

export interface ConnectionState extends ConnectionFacts {
  person: ProviderPerson;
  /** The meeting instances its events named, sorted; absent when none did. Meeting ends of these instances (and ends naming none) close it. */
  instances?: string[];
}

export interface AttendanceState {
  /** Connection id → its facts. Ids come from providers: read and write only own properties (see `connectionOf`). */
  connections: Record<string, ConnectionState>;
  meetingStarts: number[];
  /** Every meeting end, whatever its instance (the session lifecycle reads this). */
  meetingEnds: number[];
  /** Ends that named no instance: they close every connection. Absent in states saved before instances were recorded (then: `meetingEnds`). */
  sessionEnds?: number[];
  /** Ends that named their instance → their times; they close that instance's connections only. */
  instanceEnds?: Record<string, number[]>;
  hardStops: number[];
  /** The time of every reconcile snapshot (one number each; who was listed lives in each connection's runs). */
  reconciles: number[];
}

export function emptyState(): AttendanceState {
  return {
    connections: {},
    meetingStarts: [],
    meetingEnds: [],
    sessionEnds: [],
    instanceEnds: {},
    hardStops: [],
    reconciles: [],
  };
}

/**
 * Folds one event into `state`, mutating it in place (the workflow keeps one state for thousands of events;
 * copying it per event would be quadratic). Returns false when the event added nothing: a duplicate, a fact
 * already known from another event, or an event whose time is not a finite number (ignored).
 */
export function applyEvent(state: AttendanceState, event: AttendanceEvent): boolean {
  const changed = applyFact(state, event);
  if (changed) bumpVersion(state);
  return changed;
}

/**
 * A state's version: how many times `applyEvent` changed it since this object was made (or parsed). Kept under a
 * symbol, not enumerable: not part of the state's facts (JSON and equality ignore it); caches key on it.
 */
const VERSION = Symbol('attendance-state-version');

export function stateVersion(state: AttendanceState): number {
  return (state as unknown as Record<symbol, number | undefined>)[VERSION] ?? 0;
}

function bumpVersion(state: AttendanceState): void {
  const holder = state as unknown as Record<symbol, number>;
  if (Object.hasOwn(holder, VERSION)) holder[VERSION]!++;
  else Object.defineProperty(holder, VERSION, { value: 1, writable: true, enumerable: false, configurable: true });
}

function applyFact(state: AttendanceState, event: AttendanceEvent): boolean {
  if (!Number.isFinite(event.at)) return false;
  switch (event.kind) {
    case 'joined': {
      const c = connectionFor(state, event.connection, event.person);
      const merged = mergeFacts(c, event.person, event.instance);
      return insertUnique(c.joins, event.at) || merged;
    }
    case 'left': {
      const c = connectionFor(state, event.connection, event.person);
      let changed = mergeFacts(c, event.person, event.instance);
      changed = insertUnique(c.leaves, event.at) || changed;
      // The leave's own join time: the cycle [joinedAt, at) even when the join never arrived.
      if (event.joinedAt !== undefined && Number.isFinite(event.joinedAt) && event.joinedAt <= event.at)
        changed = insertUnique(c.joins, event.joinedAt) || changed;
      if (event.moved === true) changed = insertUnique((c.moves ??= []), event.at) || changed;
      return changed;
    }
    case 'report-row': {
      const c = connectionFor(state, event.connection, event.person);
      const merged = mergeFacts(c, event.person, event.instance);
      const leftAt = Number.isFinite(event.leftAt) ? Math.max(event.at, event.leftAt) : event.at;
      return insertUniqueSpan(c.reports, [event.at, leftAt]) || merged;
    }
    case 'reconcile':
      return applyReconcile(state, event);
    case 'meeting-started':
      return insertUnique(state.meetingStarts, event.at);
    case 'meeting-ended':
      return applyMeetingEnd(state, event.at, event.instance);
    case 'hard-stop':
      return insertUnique(state.hardStops, event.at);
  }
}

function applyReconcile(state: AttendanceState, event: ReconcileEvent): boolean {
  const isNew = insertUnique(state.reconciles, event.at);
  let changed = isNew;
  const listed = new Set<string>();
  for (const { connection, person, joinedAt } of event.present) {
    listed.add(connection);
    const c = connectionFor(state, connection, person);
    changed = mergeFacts(c, person, event.instance) || changed;
    changed = markListed(c.listed, state.reconciles, event.at) || changed;
    if (joinedAt !== undefined && Number.isFinite(joinedAt)) changed = insertUnique(c.joins, joinedAt) || changed;
  }
  // Several snapshots at one instant count as their union, so only a new instant can make a listing lapse.
  if (isNew) {
    for (const [id, c] of Object.entries(state.connections)) {
      if (!listed.has(id)) changed = markUnlisted(c.listed, state.reconciles, event.at) || changed;
    }
  }
  return changed;
}

function applyMeetingEnd(state: AttendanceState, at: number, instance: string | undefined): boolean {
  // a state saved before instances were recorded: its ends named none
  const sessionEnds = (state.sessionEnds ??= [...state.meetingEnds]);
  const instanceEnds = (state.instanceEnds ??= {});
  const any = insertUnique(state.meetingEnds, at);
  if (instance === undefined) return insertUnique(sessionEnds, at) || any;
  let times = ownValue(instanceEnds, instance);
  if (!times) setOwn(instanceEnds, instance, (times = []));
  return insertUnique(times, at) || any;
}

/** The meeting ends that close a connection of these instances: ends naming none, and ends of its own instances. All ends when it has none. */
export function endsFor(state: AttendanceState, instances: readonly string[] | undefined): readonly number[] {
  if (instances === undefined || instances.length === 0) return state.meetingEnds;
  const sessionEnds = state.sessionEnds ?? state.meetingEnds;
  const own = instances
    .map((i) => (state.instanceEnds && ownValue(state.instanceEnds, i)) ?? [])
    .filter((t) => t.length > 0);
  if (own.length === 0) return sessionEnds;
  if (own.length === 1 && sessionEnds.length === 0) return own[0]!;
  return [...new Set([...sessionEnds, ...own.flat()])].sort((a, b) => a - b);
}

/**
 * The connection's state, created empty if new. Creating it is always a change: the fact the caller then adds
 * is necessarily new.
 */
function connectionFor(state: AttendanceState, id: string, person: PersonRef): ConnectionState {
  const known = connectionOf(state, id);
  if (known) return known;
  const c: ConnectionState = { person: { guestKey: person.guestKey }, joins: [], leaves: [], reports: [], listed: [] };
  setOwn(state.connections, id, c);
  return c;
}

function connectionOf(state: AttendanceState, id: string): ConnectionState | undefined {
  return ownValue(state.connections, id);
}

/** Own property only: a provider id such as `__proto__` must not reach the prototype. */
function ownValue<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  // Assigning `__proto__` would set the prototype instead of adding a key.
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** What an event says about its connection besides times: the person, and the instance it belongs to. */
function mergeFacts(c: ConnectionState, ref: PersonRef, instance: string | undefined): boolean {
  const merged = mergePerson(c.person, ref);
  if (instance === undefined) return merged;
  return insertUnique((c.instances ??= []), instance) || merged;
}

/**
 * Merges a provider's description into the connection's person so that the result does not depend on event
 * order: the smallest guest key, email and name win, provider ids accumulate.
 */
function mergePerson(target: ProviderPerson, ref: PersonRef): boolean {
  let changed = false;
  if (ref.guestKey < target.guestKey) {
    target.guestKey = ref.guestKey;
    changed = true;
  }
  const email = normaliseEmail(ref.email);
  if (email !== undefined && (target.email === undefined || email < target.email)) {
    target.email = email;
    changed = true;
  }
  const name = ref.name?.trim();
  if (name && (target.name === undefined || name < target.name)) {
    target.name = name;
    changed = true;
  }
  for (const id of ref.providerUserIds ?? []) {
    if (id) changed = insertUnique((target.ids ??= []), id) || changed;
  }
  return changed;
}
