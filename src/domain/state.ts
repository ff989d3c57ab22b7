/**
 * The engine's state: every fact the event log has given, folded so that it grows with connections and
 * cycles, never with the number of events. Plain objects and sorted arrays only, so it survives a JSON round
 * trip (Temporal payloads, continue-as-new). It is canonical: the same set of events gives a deep-equal state
 * whatever their order or duplication, which is why incremental and from-scratch results are identical.
 */
import type { AttendanceEvent, PersonRef, ReconcileEvent } from './events.js';
import type { ConnectionFacts, SessionFacts } from './cycles.js';
import { normaliseEmail, type ProviderPerson } from './identity.js';
import { markListed, markUnlisted } from './reconcile.js';
import { insertUnique, insertUniqueSpan, lastAtOrBefore } from './sorted-sets.js';

export interface ConnectionState extends ConnectionFacts {
  person: ProviderPerson;
}

export interface AttendanceState {
  /** Connection id → its facts. Ids come from providers: read and write only own properties (see `connectionOf`). */
  connections: Record<string, ConnectionState>;
  meetingStarts: number[];
  meetingEnds: number[];
  hardStops: number[];
  /** The time of every reconcile snapshot (one number each; who was listed lives in each connection's runs). */
  reconciles: number[];
}

export function emptyState(): AttendanceState {
  return { connections: {}, meetingStarts: [], meetingEnds: [], hardStops: [], reconciles: [] };
}

/**
 * Folds one event into `state`, mutating it in place (the workflow keeps one state for thousands of events;
 * copying it per event would be quadratic). Returns false when the event added nothing: a duplicate, a fact
 * already known from another event, or an event whose time is not a finite number (ignored).
 */
export function applyEvent(state: AttendanceState, event: AttendanceEvent): boolean {
  if (!Number.isFinite(event.at)) return false;
  switch (event.kind) {
    case 'joined':
    case 'left': {
      const c = connectionFor(state, event.connection, event.person);
      const merged = mergePerson(c.person, event.person);
      return insertUnique(event.kind === 'joined' ? c.joins : c.leaves, event.at) || merged;
    }
    case 'report-row': {
      const c = connectionFor(state, event.connection, event.person);
      const merged = mergePerson(c.person, event.person);
      const leftAt = Number.isFinite(event.leftAt) ? Math.max(event.at, event.leftAt) : event.at;
      return insertUniqueSpan(c.reports, [event.at, leftAt]) || merged;
    }
    case 'reconcile':
      return applyReconcile(state, event);
    case 'meeting-started':
      return insertUnique(state.meetingStarts, event.at);
    case 'meeting-ended':
      return insertUnique(state.meetingEnds, event.at);
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
    changed = mergePerson(c.person, person) || changed;
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

/**
 * The connection's state, created empty if new. Creating it is always a change: the fact the caller then adds
 * is necessarily new.
 */
function connectionFor(state: AttendanceState, id: string, person: PersonRef): ConnectionState {
  const known = connectionOf(state, id);
  if (known) return known;
  const c: ConnectionState = { person: { guestKey: person.guestKey }, joins: [], leaves: [], reports: [], listed: [] };
  // Assigning `__proto__` would set the prototype instead of adding a key.
  if (id === '__proto__') Object.defineProperty(state.connections, id, { value: c, enumerable: true, writable: true, configurable: true });
  else state.connections[id] = c;
  return c;
}

/** Own property only: a provider id such as `__proto__` must not reach the prototype. */
function connectionOf(state: AttendanceState, id: string): ConnectionState | undefined {
  return Object.hasOwn(state.connections, id) ? state.connections[id] : undefined;
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

/** The latest time any event in the state happened at, at or before `limit`: the last evidence the meeting was live. */
export function latestEvidence(state: AttendanceState, limit = Infinity): number | undefined {
  const candidates = [state.meetingStarts, state.meetingEnds, state.reconciles].map((times) => lastAtOrBefore(times, limit) ?? -Infinity);
  let latest = Math.max(...candidates);
  for (const c of Object.values(state.connections)) {
    latest = Math.max(latest, lastAtOrBefore(c.joins, limit) ?? -Infinity, lastAtOrBefore(c.leaves, limit) ?? -Infinity);
    for (const [joinedAt, leftAt] of c.reports) {
      if (leftAt <= limit) latest = Math.max(latest, leftAt);
      else if (joinedAt <= limit) latest = Math.max(latest, joinedAt);
    }
  }
  return latest === -Infinity ? undefined : latest;
}

export function sessionFacts(state: AttendanceState): SessionFacts {
  return {
    meetingEnds: state.meetingEnds,
    reconciles: state.reconciles,
    hardStops: state.hardStops,
    hardStopClosesAt: state.hardStops.map((at) => latestEvidence(state, at) ?? at),
  };
}
