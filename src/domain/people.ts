/** From facts to people: each connection's cycles, grouped under the person identity resolution assigns. */
import type { FactColumns } from './columns.js';
import { compareCycles, connectionCycles, simpleCycles, type Cycle } from './cycles.js';
import { describePerson, matchUser, type Directory, type PersonIdentity } from './identity.js';

export interface PersonTimeline {
  identity: PersonIdentity;
  /** Sorted by join time, then connection. */
  cycles: Cycle[];
}

/**
 * How long a move between rooms of one meeting (Zoom: main room ↔ breakout room) may take and still be one
 * continuous presence. Zoom sends the leave of one room and the join of the other within a second or two.
 */
export const MOVE_GAP_MS = 60_000;

/**
 * Everyone with at least one cycle, sorted by person key. A leave with no cycle is no evidence of attending,
 * and it closes nothing but its own connection's cycle (a leave never shortens another connection).
 * Nothing here depends on the order connections were first seen (the row order), only on their facts.
 */
export function personTimelines(columns: FactColumns, directory: Directory): PersonTimeline[] {
  const { ids, persons, complex, joins, joinFrom, leaves, leaveFrom, ends, session } = columns;
  const n = ids.length;
  // each connection's cycles; `seen`: the rows that have any
  const cyclesOf = new Array<Cycle[]>(n);
  const seen: number[] = [];
  let moves = false;
  for (let i = 0; i < n; i++) {
    const facts = complex[i];
    const cycles = facts
      ? connectionCycles(ids[i]!, facts, session, ends[i]!)
      : simpleCycles(ids[i]!, joins, joinFrom[i]!, joinFrom[i + 1]!, leaves, leaveFrom[i]!, leaveFrom[i + 1]!, ends[i]!, session);
    if (cycles.length === 0) continue;
    cyclesOf[i] = cycles;
    seen.push(i);
    if (facts?.moves !== undefined && facts.moves.length > 0) moves = true;
  }

  // Identity: a connection's own match, else the match of another connection with its guest key (smallest user id).
  const direct = new Array<string | undefined>(seen.length);
  let unmatched = false;
  for (let s = 0; s < seen.length; s++) if ((direct[s] = matchUser(persons[seen[s]!]!, directory)) === undefined) unmatched = true;
  // (only connections that matched nothing themselves need the links)
  const byGuestKey = new Map<string, string>();
  for (let s = 0; unmatched && s < seen.length; s++) {
    const userId = direct[s];
    if (userId === undefined) continue;
    const guestKey = persons[seen[s]!]!.guestKey;
    const linked = byGuestKey.get(guestKey);
    if (linked === undefined || userId < linked) byGuestKey.set(guestKey, userId);
  }

  // Group rows by person: users by user id, guests by guest key.
  const users = new Map<string, number>();
  const guests = new Map<string, number>();
  const personUser: Array<string | undefined> = [];
  const personOf = new Int32Array(seen.length);
  for (let s = 0; s < seen.length; s++) {
    const guestKey = persons[seen[s]!]!.guestKey;
    const userId = direct[s] ?? (unmatched ? byGuestKey.get(guestKey) : undefined);
    const groups = userId === undefined ? guests : users;
    const key = userId ?? guestKey;
    let p = groups.get(key);
    if (p === undefined) {
      p = personUser.length;
      groups.set(key, p);
      personUser.push(userId);
    }
    personOf[s] = p;
  }
  const people = personUser.length;
  const from = new Int32Array(people + 1);
  for (let s = 0; s < seen.length; s++) from[personOf[s]! + 1]!++;
  for (let p = 0; p < people; p++) from[p + 1]! += from[p]!;
  const next = from.slice(0, people);
  const rows = new Int32Array(seen.length);
  for (let s = 0; s < seen.length; s++) rows[next[personOf[s]!]!++] = seen[s]!;

  const byKey = new Map<string, PersonTimeline>();
  for (let p = 0; p < people; p++) {
    const first = rows[from[p]!]!;
    const count = from[p + 1]! - from[p]!;
    let cycles: Cycle[];
    let email: string | undefined;
    let name: string | undefined;
    if (count === 1) {
      cycles = cyclesOf[first]!;
      email = persons[first]!.email;
      name = persons[first]!.name;
    } else {
      // the provider's email and name: from the person's earliest connection (by first cycle) that has each
      cycles = [];
      let emailCycle: Cycle | undefined;
      let nameCycle: Cycle | undefined;
      for (let k = from[p]!; k < from[p + 1]!; k++) {
        const row = rows[k]!;
        const own = cyclesOf[row]!;
        for (const c of own) cycles.push(c);
        const person = persons[row]!;
        if (person.email !== undefined && (!emailCycle || compareCycles(own[0]!, emailCycle) < 0)) [email, emailCycle] = [person.email, own[0]];
        if (person.name !== undefined && (!nameCycle || compareCycles(own[0]!, nameCycle) < 0)) [name, nameCycle] = [person.name, own[0]];
      }
      cycles.sort(compareCycles);
    }
    const identity = describePerson(personUser[p], persons[first]!.guestKey, directory, { email, name });
    byKey.set(identity.personKey, { identity, cycles: moves ? bridgeMoves(cycles) : cycles });
  }
  // person keys are unique; the default sort orders strings by code unit, as `compareStrings` does
  return [...byKey.keys()].sort().map((key) => byKey.get(key)!);
}

/**
 * A cycle that ended by moving to another room of the meeting lasts until the person's next join, when that
 * join comes within MOVE_GAP_MS: main → breakout → main is continuous presence. When no join follows (the
 * other room's join was lost, or the person dropped), the cycle ends at its leave: no credit without evidence.
 * `cycles` sorted by join time; bridged cycles keep their place (their join time does not change).
 */
function bridgeMoves(cycles: Cycle[]): Cycle[] {
  for (let i = 0; i < cycles.length; i++) {
    const c = cycles[i]!;
    if (c.moved !== true) continue;
    delete c.moved;
    const leftAt = c.leftAt!;
    for (let k = i + 1; k < cycles.length; k++) {
      const next = cycles[k]!.joinedAt;
      if (next <= leftAt) continue;
      if (next - leftAt <= MOVE_GAP_MS) c.leftAt = next;
      break;
    }
  }
  return cycles;
}
