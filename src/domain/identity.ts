/**
 * Identity resolution: which person a connection belongs to. In order: the provider's email against the
 * roster and the user directory (case-insensitive); a provider user id (LiveKit identity, Zoom
 * participant_user_id / registrant_id) equal to a known user id; otherwise a guest keyed by the provider's
 * stable participant id. A connection that matches nothing itself but shares its guest key with one that
 * matched a user belongs to that user (e.g. a Zoom leave that carried no email).
 */

export interface DirectoryUser {
  userId: string;
  email?: string;
  name?: string;
}

export interface RosterEntry {
  userId: string;
  email?: string;
  name?: string;
  /** student, teacher, ... */
  role?: string;
}

/** What the provider said about the person behind one connection, merged over all its events. */
export interface ProviderPerson {
  guestKey: string;
  /** Normalised (trimmed, lower case). */
  email?: string;
  /** Sorted, unique. */
  ids?: string[];
  name?: string;
}

/** Who an attendance record is about. Optional fields are present with the value undefined when unknown. */
export interface PersonIdentity {
  /** `user:<userId>` for a known user, `guest:<guestKey>` otherwise. */
  personKey: string;
  userId?: string;
  email?: string;
  name?: string;
  role?: string;
  /** Not on the roster; for sessions without a roster (ad-hoc), not a known user. */
  guest: boolean;
}

export interface KnownUser extends DirectoryUser {
  role?: string;
  onRoster: boolean;
  /** Position in the directory (0 … size - 1): people are grouped by it without hashing user ids. */
  index: number;
}

export interface Directory {
  users: Map<string, KnownUser>;
  byEmail: Map<string, KnownUser>;
  hasRoster: boolean;
  /** Distinct roster members. */
  rosterSize: number;
}

export function normaliseEmail(email: string | undefined): string | undefined {
  const normalised = email?.trim().toLowerCase();
  return normalised ? normalised : undefined;
}

/** Roster entries take precedence over directory users; on an email shared by two users the smallest id wins. */
export function buildDirectory(users: readonly DirectoryUser[] = [], roster: readonly RosterEntry[] = []): Directory {
  const known = new Map<string, KnownUser>();
  for (const u of users)
    known.set(u.userId, { userId: u.userId, email: u.email, name: u.name, role: undefined, onRoster: false, index: 0 });
  for (const r of roster) {
    const user = known.get(r.userId);
    known.set(r.userId, {
      userId: r.userId,
      email: r.email ?? user?.email,
      name: r.name ?? user?.name,
      role: r.role,
      onRoster: true,
      index: 0,
    });
  }
  const byEmail = new Map<string, KnownUser>();
  let index = 0;
  let rosterSize = 0;
  for (const u of known.values()) {
    u.index = index++;
    if (u.onRoster) rosterSize++;
    const email = normaliseEmail(u.email);
    if (email === undefined) continue;
    const holder = byEmail.get(email);
    if (!holder || precedes(u, holder)) byEmail.set(email, u);
  }
  return { users: known, byEmail, hasRoster: roster.length > 0, rosterSize };
}

function precedes(a: KnownUser, b: KnownUser): boolean {
  return a.onRoster !== b.onRoster ? a.onRoster : a.userId < b.userId;
}

/** The user a provider person is, by email then by provider id (roster members first, then the smallest id). */
export function matchUser(
  email: string | undefined,
  ids: readonly string[] | undefined,
  directory: Directory,
): KnownUser | undefined {
  const byEmail = email === undefined ? undefined : directory.byEmail.get(email);
  if (byEmail) return byEmail;
  if (ids === undefined) return undefined;
  let match: KnownUser | undefined;
  for (const id of ids) {
    const user = directory.users.get(id);
    if (user?.onRoster) return user;
    match ??= user;
  }
  return match;
}

export function personKeyOf(userId: string | undefined, guestKey: string): string {
  return userId === undefined ? `guest:${guestKey}` : `user:${userId}`;
}

/**
 * The record's identity: directory data first, then what the provider said (`email`, `name`). `guestKey` matters
 * only when `user` is undefined. Every key is set (one object shape for all records).
 */
export function describePerson(
  user: KnownUser | undefined,
  guestKey: string,
  directory: Directory,
  email?: string,
  name?: string,
): PersonIdentity {
  return {
    personKey: personKeyOf(user?.userId, guestKey),
    userId: user?.userId,
    email: user?.email ?? email,
    name: user?.name ?? name,
    role: user?.role,
    guest: user === undefined || (directory.hasRoster && !user.onRoster),
  };
}
