import type { PersonRef, ReportRowEvent } from '../domain/events.js';
import { derivedKey } from '../providers/common.js';
import type { ParticipantRow } from './reports.js';

/** A report row as an event of the session's log. `registrantId` rides along for analytics; the engine ignores it. */
export interface ZoomReportRowEvent extends ReportRowEvent {
  registrantId?: string;
}

const time = (iso: string | undefined) => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * One participant row (one connection: [join_time, leave_time)) as a report-row event, or undefined for a row that
 * is no attendance: a waiting-room row, or one without a join time or any end (still in the meeting).
 *
 * - connection: `participant_uuid`, else `user_id` — the webhook adapter's rule, so a connection Zoom names the
 *   same way in both sources is one connection, and a row identical to its webhook cycle is not counted twice.
 * - guest key: the most stable person id the row has (participant_uuid, Zoom user id, registrant id, email, then
 *   the per-meeting user_id), so an unmatched guest's rejoins under new user_ids stay one person.
 * - key: instance uuid, connection, join and leave: the same row always gives the same key, so a re-sync adds nothing.
 */
export function reportRowEvent(instanceUuid: string, row: ParticipantRow): ZoomReportRowEvent | undefined {
  if (row.status === 'in_waiting_room') return undefined;
  const at = time(row.join_time);
  if (at === undefined) return undefined;
  const leftAt = time(row.leave_time) ?? (row.duration === undefined ? undefined : at + row.duration * 1000);
  const connection =
    row.participant_uuid ?? row.user_id ?? row.id ?? (row.name === undefined ? undefined : `name:${row.name}`);
  if (leftAt === undefined || connection === undefined) return undefined;
  return {
    kind: 'report-row',
    key: derivedKey('zoom', ['report-row', instanceUuid, connection, at, leftAt]),
    at,
    leftAt,
    source: 'report',
    instance: instanceUuid,
    connection,
    person: personOf(row, connection),
    ...(row.registrant_id !== undefined && { registrantId: row.registrant_id }),
  };
}

function personOf(row: ParticipantRow, connection: string): PersonRef {
  const email = row.user_email?.trim();
  const ids = [
    ...new Set([row.participant_user_id, row.registrant_id, row.id].filter((id): id is string => id !== undefined)),
  ];
  const guestKey =
    row.participant_uuid ??
    row.participant_user_id ??
    row.id ??
    row.registrant_id ??
    (email ? `email:${email.toLowerCase()}` : connection);
  return {
    guestKey,
    ...(email && { email }),
    ...(ids.length > 0 && { providerUserIds: ids }),
    ...(row.name !== undefined && { name: row.name }),
  };
}
