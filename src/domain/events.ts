/**
 * Normalised attendance events: what every provider adapter produces and what the engine consumes.
 * Times are epoch milliseconds taken from the provider's payload, never from when a webhook arrived.
 */

/** The providers whose webhooks Rollcall takes; also the CHECK on every provider column. */
export const PROVIDERS = ['zoom', 'livekit'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const isProvider = (name: string): name is Provider => (PROVIDERS as readonly string[]).includes(name);

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

/**
 * Events are facts about a provider room; `instance` names the meeting instance they belong to (Zoom `uuid` —
 * for a breakout room, its parent meeting's — or LiveKit room `sid`). Absent: the fact applies to the whole
 * session (an operator's end, the hard stop, events logged before instances were recorded).
 */
interface InstanceFact {
  instance?: string;
}

/** One connection joined. `connection` is the LiveKit participant sid, Zoom participant_uuid (else user_id + join time). */
export interface JoinedEvent extends EventBase, InstanceFact {
  kind: 'joined';
  connection: string;
  person: PersonRef;
}

/**
 * One connection left. `joinedAt`: the connection's own join time when the leave carries it (LiveKit
 * `participant.joinedAt`), so a leave whose join was lost still gives the cycle [joinedAt, at). `moved`: the
 * connection left this room for another room of the same meeting (Zoom breakout rooms): the person's presence
 * continues in the room they moved to (see people.ts).
 */
export interface LeftEvent extends EventBase, InstanceFact {
  kind: 'left';
  connection: string;
  person: PersonRef;
  joinedAt?: number;
  moved?: boolean;
}

export interface MeetingStartedEvent extends EventBase, InstanceFact {
  kind: 'meeting-started';
}

/** `meeting.ended` / `room_finished`: closes the open cycles of its instance (of every instance when it names none) at `at`. */
export interface MeetingEndedEvent extends EventBase, InstanceFact {
  kind: 'meeting-ended';
}

/**
 * Who the provider says is in the room at `at` (LiveKit ListParticipants). A snapshot is about the room: one
 * instance of a room is live at a time, so a connection of any instance that it does not list is not in the room.
 * `instance` is recorded on the connections it lists.
 */
export interface ReconcileEvent extends EventBase, InstanceFact {
  kind: 'reconcile';
  present: Array<{ connection: string; person: PersonRef; joinedAt?: number }>;
}

/** One row of a provider report: a whole connection cycle [at, leftAt). */
export interface ReportRowEvent extends EventBase, InstanceFact {
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
  JoinedEvent | LeftEvent | MeetingStartedEvent | MeetingEndedEvent | ReconcileEvent | ReportRowEvent | HardStopEvent;

export type AttendanceEventKind = AttendanceEvent['kind'];
