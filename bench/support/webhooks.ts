/**
 * Provider webhooks for the scenarios (signed as the tests sign them, `signedWebhook` in test/support/scenario.ts):
 * seeded, reproducible meetings — P people with K join/leave cycles each (reconnects) — together with the
 * registration a school's app would send and the engine's expectation for exactly the events sent.
 */
import type { RosterEntry, SessionSettings } from '../../src/domain/index.js';
import { seededRandom } from '../../test/support/random.js';
import { MIN, type Provider } from '../../test/support/scenario.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
} from '../../test/support/sign.js';

export interface MeetingOptions {
  provider: Provider;
  /** Zoom meeting id / LiveKit room name; unique per meeting so sessions never share a room. */
  room: string;
  people: number;
  /** Join/leave cycles per reconnecting person: 2 × cycles webhooks each (cycles > 1 = reconnects). */
  cycles: number;
  /** Share of the people who reconnect (get `cycles` cycles); the others join and leave once. Default 1. */
  reconnecting?: number;
  /** Scheduled start, epoch ms on a whole minute; the meeting is scheduled for 60 minutes. */
  start: number;
  seed: number;
  /** First R people are on the roster (matched by email on Zoom, identity on LiveKit). */
  roster: number;
  /** Zoom webinar.* events instead of meeting.*. */
  webinar?: boolean;
}

export interface Meeting {
  options: MeetingOptions;
  scheduledStart: number;
  scheduledEnd: number;
  settings: SessionSettings;
  /** meeting started + every participant webhook, in provider-time order. */
  webhooks: object[];
  end: object;
}

const SECOND = 1_000;

export function generateMeeting(options: MeetingOptions): Meeting {
  const random = seededRandom(options.seed);
  const { provider, room, start: S } = options;
  const scheduledEnd = S + 60 * MIN;
  const meetingStart = S - 5 * MIN;
  const meetingEnd = scheduledEnd + 2 * MIN;
  const roster: RosterEntry[] = Array.from({ length: Math.min(options.roster, options.people) }, (_, i) => ({
    userId: `u${i}`,
    email: `u${i}@school.example`,
    name: `Person ${i}`,
  }));
  const zoom = provider === 'zoom';
  const scope = options.webinar ? ('webinar' as const) : ('meeting' as const);
  const meeting = { scope, meetingId: room, uuid: `${room}-instance==` };
  const lkRoom = { roomName: room, roomSid: `RM_${room}` };
  let eventNo = 0;
  const id = () => `EV_${room}_${eventNo++}`;
  const timed: Array<{ at: number; payload: object }> = [];
  const span = (meetingEnd - MIN - meetingStart) / SECOND;

  for (let i = 0; i < options.people; i++) {
    const cycles = random() < (options.reconnecting ?? 1) ? options.cycles : 1;
    // 2 × cycles distinct whole seconds inside the meeting, sorted: join, leave, join, leave...
    const picked = new Set<number>();
    while (picked.size < 2 * cycles) picked.add(meetingStart / SECOND + Math.floor(random() * span));
    const times = [...picked].sort((a, b) => a - b).map((s) => s * SECOND);
    const onRoster = i < roster.length;
    const zoomPerson = {
      ...meeting,
      userId: String(100_000 + i),
      userName: `Person ${i}`,
      ...(onRoster && { email: `U${i}@School.example` }),
    };
    const lkPerson = { ...lkRoom, identity: onRoster ? `u${i}` : `guest-${i}`, name: `Person ${i}` };
    for (let c = 0; c < cycles; c++) {
      const joinedAt = times[2 * c]!;
      const leftAt = times[2 * c + 1]!;
      // LiveKit gives every connection its own sid; Zoom keeps one participant_uuid across rejoins.
      const sid = `PA_${i}_${c}`;
      timed.push({
        at: joinedAt,
        payload: zoom
          ? zoomParticipantJoined({ ...zoomPerson, joinTime: joinedAt })
          : livekitParticipantJoined({ ...lkPerson, id: id(), sid, joinedAt }),
      });
      timed.push({
        at: leftAt,
        payload: zoom
          ? zoomParticipantLeft({ ...zoomPerson, leaveTime: leftAt })
          : livekitParticipantLeft({ ...lkPerson, id: id(), sid, joinedAt, leftAt }),
      });
    }
  }
  timed.sort((a, b) => a.at - b.at);
  const started = zoom
    ? zoomMeetingStarted({ ...meeting, startTime: meetingStart })
    : livekitRoomStarted({ ...lkRoom, id: id(), at: meetingStart });
  const end = zoom
    ? zoomMeetingEnded({ ...meeting, startTime: meetingStart, endTime: meetingEnd })
    : livekitRoomFinished({ ...lkRoom, id: id(), at: meetingEnd });
  return {
    options,
    scheduledStart: S,
    scheduledEnd,
    settings: { scheduledStart: S, scheduledEnd, roster, policy: { kind: 'percentage', graceMinutes: 15 } },
    webhooks: [started, ...timed.map((t) => t.payload)],
    end,
  };
}

/** What the school's app POSTs to /api/sessions for the meeting (the default policy: percentage, 15 min grace). */
export function registration(meeting: Meeting, sessionId: string) {
  return {
    id: sessionId,
    provider: meeting.options.provider,
    room: meeting.options.room,
    title: `bench ${meeting.options.room}`,
    scheduledStart: new Date(meeting.scheduledStart).toISOString(),
    scheduledEnd: new Date(meeting.scheduledEnd).toISOString(),
    roster: meeting.settings.roster,
  };
}
