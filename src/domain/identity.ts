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

interface KnownUser extends DirectoryUser {
  role?: string;
  onRoster: boolean;
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
  for (const u of users) known.set(u.userId, { userId: u.userId, email: u.email, name: u.name, onRoster: false });
  for (const r of roster) {
    const user = known.get(r.userId);
    known.set(r.userId, {
      userId: r.userId,
      email: r.email ?? user?.email,
      name: r.name ?? user?.name,
      role: r.role,
      onRoster: true,
    });
  }
  const byEmail = new Map<string, KnownUser>();
  for (const u of known.values()) {
    const email = normaliseEmail(u.email);
    if (email === undefined) continue;
    const holder = byEmail.get(email);
    if (!holder || precedes(u, holder)) byEmail.set(email, u);
  }
  let rosterSize = 0;
  for (const u of known.values()) if (u.onRoster) rosterSize++;
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
): string | undefined {
  const byEmail = email === undefined ? undefined : directory.byEmail.get(email);
  if (byEmail) return byEmail.userId;
  if (ids === undefined) return undefined;
  let match: string | undefined;
  for (const id of ids) {
    const user = directory.users.get(id);
    if (user?.onRoster) return id;
    if (user) match ??= id;
  }
  return match;
}

function personKeyOf(userId: string | undefined, guestKey: string): string {
  return userId === undefined ? `guest:${guestKey}` : `user:${userId}`;
}

/**
 * The record's identity: directory data first, then what the provider said. `guestKey` matters only when
 * `userId` is undefined. Every key is set (one object shape for all records).
 */
export function describePerson(
  userId: string | undefined,
  guestKey: string,
  directory: Directory,
  provider: { email?: string | undefined; name?: string | undefined } = {},
): PersonIdentity {
  const user = userId === undefined ? undefined : directory.users.get(userId);
  return {
    personKey: personKeyOf(userId, guestKey),
    userId,
    email: user?.email ?? provider.email,
    name: user?.name ?? provider.name,
    role: user?.role,
    guest: user === undefined || (directory.hasRoster && !user.onRoster),
  };
}
