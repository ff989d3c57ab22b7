/**
 * Failures every layer names alike, free of HTTP and Temporal. Their messages are written for whoever asked
 * (an API caller, an operator): internal detail goes in `cause`, which is logged, never answered. The API turns
 * them into statuses in one table (src/api/http-error.ts), activities into retryable or final failures in another
 * (src/activities/failures.ts).
 */
export abstract class RollcallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Nothing is stored under what was asked for (a dead letter, a meeting's sessions). */
export class NotFound extends RollcallError {}

export class SessionNotFound extends NotFound {
  constructor(readonly sessionId: string) {
    super(`no session ${sessionId}`);
  }
}

/** The session exists, but no workflow run of it is open (finished, or never started). */
export class SessionNotRunning extends RollcallError {
  constructor(readonly sessionId: string) {
    super(`no running workflow for session ${sessionId}`);
  }
}

/** What was asked is malformed or cannot be stored as given; asking again the same way fails the same way. */
export class InvalidInput extends RollcallError {}

/** What was asked contradicts what is stored (a session id registered with other details, an email in use). */
export class Conflict extends RollcallError {}

/** A provider or a receiver said no, and repeating the request would not change its answer. */
export class ProviderRefused extends RollcallError {}

/** Something needed (Temporal, the database, a receiver, a workflow's answer) cannot be had now: retry later. */
export class Unavailable extends RollcallError {}
