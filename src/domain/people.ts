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
  const { ids, guestKeys, emails, names, userIds, complex, joins, joinFrom, leaves, leaveFrom, ends, session } =
    columns;
  const n = ids.length;
  // The rows with any cycle: a general row's cycles are computed here; a simple row has cycles iff it has a join.
  const general = new Array<Cycle[] | undefined>(n);
  const seen: number[] = [];
  let moves = false;
  for (let i = 0; i < n; i++) {
    const facts = complex[i];
    if (facts) {
      const cycles = connectionCycles(ids[i]!, facts, session, ends[i]!);
      if (cycles.length === 0) continue;
      general[i] = cycles;
      if (facts.moves !== undefined && facts.moves.length > 0) moves = true;
    } else if (joinFrom[i + 1]! === joinFrom[i]!) continue;
    seen.push(i);
  }

  // Identity: a connection's own match, else the match of another connection with its guest key (smallest user id).
  const direct = new Array<string | undefined>(seen.length);
  let unmatched = false;
  for (let s = 0; s < seen.length; s++) {
    const row = seen[s]!;
    if ((direct[s] = matchUser(emails[row], userIds[row], directory)) === undefined) unmatched = true;
  }
  // (only connections that matched nothing themselves need the links)
  const byGuestKey = new Map<string, string>();
  for (let s = 0; unmatched && s < seen.length; s++) {
    const userId = direct[s];
    if (userId === undefined) continue;
    const guestKey = guestKeys[seen[s]!]!;
    const linked = byGuestKey.get(guestKey);
    if (linked === undefined || userId < linked) byGuestKey.set(guestKey, userId);
  }

  // Group rows by person: users by user id, guests by guest key.
  const users = new Map<string, number>();
  const guests = new Map<string, number>();
  const personUser: Array<string | undefined> = [];
  const personOf = new Int32Array(seen.length);
  for (let s = 0; s < seen.length; s++) {
    const guestKey = guestKeys[seen[s]!]!;
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

  const timelines: PersonTimeline[] = [];
  const keys: string[] = [];
  for (let p = 0; p < people; p++) {
    const first = rows[from[p]!]!;
    let cycles: Cycle[];
    let email = emails[first];
    let name = names[first];
    if (from[p + 1]! - from[p]! === 1) {
      cycles = general[first] ?? [];
      if (!general[first])
        simpleCycles(
          cycles,
          ids[first]!,
          joins,
          joinFrom[first]!,
          joinFrom[first + 1]!,
          leaves,
          leaveFrom[first]!,
          leaveFrom[first + 1]!,
          ends[first]!,
          session,
        );
    } else {
      // the provider's email and name: from the person's earliest connection (by first cycle) that has each
      cycles = [];
      email = name = undefined;
      let emailCycle: Cycle | undefined;
      let nameCycle: Cycle | undefined;
      for (let k = from[p]!; k < from[p + 1]!; k++) {
        const row = rows[k]!;
        const start = cycles.length;
        const own = general[row];
        if (own) for (const c of own) cycles.push(c);
        else
          simpleCycles(
            cycles,
            ids[row]!,
            joins,
            joinFrom[row]!,
            joinFrom[row + 1]!,
            leaves,
            leaveFrom[row]!,
            leaveFrom[row + 1]!,
            ends[row]!,
            session,
          );
        const firstCycle = cycles[start]!;
        const rowEmail = emails[row];
        const rowName = names[row];
        if (rowEmail !== undefined && (!emailCycle || compareCycles(firstCycle, emailCycle) < 0))
          [email, emailCycle] = [rowEmail, firstCycle];
        if (rowName !== undefined && (!nameCycle || compareCycles(firstCycle, nameCycle) < 0))
          [name, nameCycle] = [rowName, firstCycle];
      }
      cycles.sort(compareCycles);
    }
    const identity = describePerson(personUser[p], guestKeys[first]!, directory, { email, name });
    timelines.push({ identity, cycles: moves ? bridgeMoves(cycles) : cycles });
    keys.push(identity.personKey);
  }
  return sortedByKey(timelines, keys);
}

/** `items` in the order of their (unique) keys, by code unit as `compareStrings` orders. */
export function sortedByKey<T>(items: readonly T[], keys: readonly string[]): T[] {
  const order = new Map<string, T>();
  for (let i = 0; i < items.length; i++) order.set(keys[i]!, items[i]!);
  // the default sort orders strings by code unit
  return [...order.keys()].sort().map((key) => order.get(key)!);
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
