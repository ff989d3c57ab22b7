/**
 * Generated class sessions: a seeded, reproducible log of provider webhooks for P people, each with five
 * events (join, leave, rejoin, leave, rejoin — the last cycle closed by the meeting end), some on two devices
 * whose connections overlap. The same seed always gives the same people and the same provider times, so the
 * same scenario can be replayed in another meeting (a fault run beside its fault-free run) and compared.
 */
import type { AttendanceResult, RosterEntry, SessionSettings } from '../../../src/domain/index.js';
import { calculateAttendance } from '../../../src/domain/index.js';
import { eventsOf, MIN, type Provider } from '../../support/scenario.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
} from '../../support/sign.js';
import { seededRandom } from '../../support/random.js';

export interface ClassOptions {
  provider: Provider;
  people: number;
  seed: number;
  /** Zoom meeting id / LiveKit room name: one per run, so runs of one scenario never share a session. */
  room: string;
  /** Scheduled start, epoch ms (whole minute). The class is scheduled for 60 minutes. */
  start: number;
  /** Roster size (the first R people, matched by email on Zoom and by identity on LiveKit); default min(200, P/4). */
  roster?: number;
}

export interface Webhook {
  payload: object;
  kind: 'start' | 'join' | 'leave' | 'end';
}

export interface ClassScenario {
  options: ClassOptions;
  scheduledStart: number;
  scheduledEnd: number;
  roster: RosterEntry[];
  /** meeting started + every participant event, in provider-time order; the meeting end is `end`. */
  webhooks: Webhook[];
  end: Webhook;
}

const SECOND = 1_000;

export function generateClass(options: ClassOptions): ClassScenario {
  const random = seededRandom(options.seed);
  const S = options.start;
  const scheduledEnd = S + 60 * MIN;
  const meetingStart = S - 6 * MIN;
  const meetingEnd = scheduledEnd + 2 * MIN; // the teacher overran a little
  const rosterSize = Math.min(options.people, options.roster ?? Math.min(200, Math.floor(options.people / 4)));
  const roster: RosterEntry[] = Array.from({ length: rosterSize }, (_, i) => ({
    userId: `u${i}`,
    email: `u${i}@school.example`,
    name: `Person ${i}`,
    role: 'student',
  }));
  const zoom = options.provider === 'zoom';
  const meeting = { meetingId: options.room, uuid: `${options.room}-instance==` };
  const room = { roomName: options.room, roomSid: `RM_${options.room}` };
  let eventNo = 0;
  const id = () => `EV_${options.room}_${eventNo++}`;
  const timed: Array<Webhook & { at: number }> = [];

  /** Five distinct whole seconds in [start - 5 min, meeting end - 1 min), sorted. */
  const times = () => {
    const from = (S - 5 * MIN) / SECOND;
    const span = (meetingEnd - MIN - (S - 5 * MIN)) / SECOND;
    const picked = new Set<number>();
    while (picked.size < 5) picked.add(from + Math.floor(random() * span));
    return [...picked].sort((a, b) => a - b).map((s) => s * SECOND);
  };

  for (let i = 0; i < options.people; i++) {
    const onRoster = i < rosterSize;
    const [t0, t1, t2, t3, t4] = times() as [number, number, number, number, number];
    const zoomPerson = (device: string) => ({
      ...meeting,
      userId: `${i}${device}`,
      userName: `Person ${i}`,
      ...(onRoster && { email: `U${i}@School.example` }),
    });
    const livekitPerson = { ...room, identity: onRoster ? `u${i}` : `guest-${i}`, name: `Person ${i}` };
    const join = (device: string, at: number, sid: string) =>
      timed.push({
        kind: 'join',
        at,
        payload: zoom
          ? zoomParticipantJoined({ ...zoomPerson(device), joinTime: at })
          : livekitParticipantJoined({ ...livekitPerson, id: id(), sid, joinedAt: at }),
      });
    const leave = (device: string, joinedAt: number, at: number, sid: string) =>
      timed.push({
        kind: 'leave',
        at,
        payload: zoom
          ? zoomParticipantLeft({ ...zoomPerson(device), leaveTime: at })
          : livekitParticipantLeft({ ...livekitPerson, id: id(), sid, joinedAt, leftAt: at }),
      });
    // LiveKit gives every connection its own sid; Zoom keeps the participant_uuid of one device across rejoins.
    // Neither names the room, so two runs of one scenario have the same connections and people.
    const sid = (n: number) => `PA_${i}_${n}`;
    if (onRoster && i % 10 === 0) {
      // A second device overlaps the first: the union must count each instant once.
      const mid = Math.floor((t0 + t1) / 2 / SECOND) * SECOND;
      join('a', t0, sid(1));
      leave('a', t0, t1, sid(1));
      join('b', mid === t0 ? t0 + SECOND : mid, sid(2));
      leave('b', mid === t0 ? t0 + SECOND : mid, t3, sid(2));
      join('a', t4, sid(3));
    } else {
      join('a', t0, sid(1));
      leave('a', t0, t1, sid(1));
      join('a', t2, sid(2));
      leave('a', t2, t3, sid(2));
      join('a', t4, sid(3));
    }
  }
  timed.sort((a, b) => a.at - b.at);
  const started: Webhook = {
    kind: 'start',
    payload: zoom
      ? zoomMeetingStarted({ ...meeting, startTime: meetingStart })
      : livekitRoomStarted({ ...room, id: id(), at: meetingStart }),
  };
  const end: Webhook = {
    kind: 'end',
    payload: zoom
      ? zoomMeetingEnded({ ...meeting, startTime: meetingStart, endTime: meetingEnd })
      : livekitRoomFinished({ ...room, id: id(), at: meetingEnd }),
  };
  return {
    options,
    scheduledStart: S,
    scheduledEnd,
    roster,
    webhooks: [started, ...timed.map(({ kind, payload }) => ({ kind, payload }))],
    end,
  };
}

/** The registration the school's app would POST to /api/sessions. */
export function registration(scenario: ClassScenario, sessionId: string) {
  return {
    id: sessionId,
    provider: scenario.options.provider,
    room: scenario.options.room,
    title: `fault scenario ${scenario.options.seed}`,
    scheduledStart: new Date(scenario.scheduledStart).toISOString(),
    scheduledEnd: new Date(scenario.scheduledEnd).toISOString(),
    roster: scenario.roster,
  };
}

export function settingsOf(scenario: ClassScenario): SessionSettings {
  return {
    scheduledStart: scenario.scheduledStart,
    scheduledEnd: scenario.scheduledEnd,
    roster: scenario.roster,
    policy: { kind: 'percentage', graceMinutes: 15 },
  };
}

/** What the engine computes from exactly these payloads. */
export function expectedAttendance(scenario: ClassScenario, payloads: readonly object[]): AttendanceResult {
  return calculateAttendance({ session: settingsOf(scenario), events: eventsOf(scenario.options.provider, payloads) });
}
