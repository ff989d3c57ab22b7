/**
 * Normalised attendance events: what every provider adapter produces and what the engine consumes.
 * Times are epoch milliseconds taken from the provider's payload, never from when a webhook arrived.
 */

export type Provider = 'zoom' | 'livekit';

/** Where an event came from; the event log keeps it so operators can tell webhook from report data. */
export type EventSource = 'webhook' | 'report' | 'reconcile' | 'system';

/** A person as the provider describes them; identity resolution turns this into one attendee record. */
export interface PersonRef {
  /** Email as sent by the provider (often empty on Zoom); matched case-insensitively. */
  email?: string;
  /** Provider identity that may equal the app's user id: LiveKit `identity`, Zoom `participant_user_id` / `registrant_id`. */
  providerUserIds?: string[];
  /** The provider's stable participant id, used as the guest key when nothing matches (Zoom `participant_uuid` else `user_id`; LiveKit `identity`). */
  guestKey: string;
  name?: string;
}

interface EventBase {
  /** Idempotency key: the same provider event always yields the same key. */
  key: string;
  /** Provider time of the event, epoch ms. */
  at: number;
  source: EventSource;
}

/** One connection joined. `connection` is the LiveKit participant sid, Zoom participant_uuid (else user_id + join time). */
export interface JoinedEvent extends EventBase {
  kind: 'joined';
  connection: string;
  person: PersonRef;
}

export interface LeftEvent extends EventBase {
  kind: 'left';
  connection: string;
  person: PersonRef;
}

export interface MeetingStartedEvent extends EventBase {
  kind: 'meeting-started';
}

/** `meeting.ended` / `room_finished`: closes every open cycle at `at`. */
export interface MeetingEndedEvent extends EventBase {
  kind: 'meeting-ended';
}

/** Who the provider says is in the room at `at` (LiveKit ListParticipants). */
export interface ReconcileEvent extends EventBase {
  kind: 'reconcile';
  present: Array<{ connection: string; person: PersonRef; joinedAt?: number }>;
}

/** One row of a provider report: a whole connection cycle [at, leftAt). */
export interface ReportRowEvent extends EventBase {
  kind: 'report-row';
  connection: string;
  person: PersonRef;
  leftAt: number;
}

/** The session's hard stop: no end event came; open cycles are closed by the evidence rules. */
export interface HardStopEvent extends EventBase {
  kind: 'hard-stop';
}

export type AttendanceEvent =
  | JoinedEvent
  | LeftEvent
  | MeetingStartedEvent
  | MeetingEndedEvent
  | ReconcileEvent
  | ReportRowEvent
  | HardStopEvent;

export type AttendanceEventKind = AttendanceEvent['kind'];
