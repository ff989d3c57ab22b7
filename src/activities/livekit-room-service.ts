import { SignJWT } from 'jose';
import { z } from 'zod';
import type { ReconcileEvent } from '../domain/index.js';
import { secondsToMs } from '../domain/time.js';
import { participantSchema, personOf } from '../providers/livekit.js';

export interface LiveKitServer {
  /** The LiveKit server URL as configured (https:// or wss://). */
  url: string;
  apiKey: string;
  apiSecret: string;
}

const listParticipantsAnswer = z.object({
  participants: z.array(participantSchema.extend({ state: z.union([z.string(), z.number()]).optional() })).optional(),
});
const listRoomsAnswer = z.object({ rooms: z.array(z.object({ sid: z.string(), name: z.string() })).optional() });

/** A participant is in the room only once fully connected: JOINING (protojson omits it, the default) and JOINED are not yet. */
const isActive = (state: unknown) => state === 'ACTIVE' || state === 2;

/** The video grant a RoomService method requires: `roomList` for ListRooms, `roomAdmin` of the room for ListParticipants. */
type VideoGrant = { roomList: true } | { roomAdmin: true; room: string };

/** A short-lived server token with the grant the call requires. */
async function serverToken(server: LiveKitServer, grant: VideoGrant): Promise<string> {
  return new SignJWT({ video: grant })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(server.apiKey)
    .setNotBefore('0s')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(server.apiSecret));
}

/** RoomService speaks Twirp over HTTP; a wss:// signalling URL names the same host. */
function twirpUrl(server: LiveKitServer, method: string): string {
  const base = server.url.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '');
  return `${base}/twirp/livekit.RoomService/${method}`;
}

/** One Twirp call; undefined for `not_found`. */
async function twirp(server: LiveKitServer, method: string, grant: VideoGrant, request: object): Promise<unknown> {
  const res = await fetch(twirpUrl(server, method), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await serverToken(server, grant)}` },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status === 404 && (body as { code?: string } | undefined)?.code === 'not_found') return undefined;
  if (!res.ok) throw new Error(`LiveKit ${method} answered ${res.status}`);
  return body;
}

/** The sid of the room LiveKit has under this name now, if any (names are reused: each new room gets a new sid). */
export async function currentRoomSid(server: LiveKitServer, room: string): Promise<string | undefined> {
  const answer = await twirp(server, 'ListRooms', { roomList: true }, { names: [room] });
  return listRoomsAnswer.parse(answer ?? {}).rooms?.find((r) => r.name === room)?.sid;
}

/**
 * Who LiveKit says is in `room` right now (RoomService ListParticipants), fully connected (ACTIVE) only. A room
 * LiveKit no longer has (Twirp `not_found`) is an empty room: that too is evidence that everyone has left.
 */
export async function listRoomParticipants(server: LiveKitServer, room: string): Promise<ReconcileEvent['present']> {
  const answer = await twirp(server, 'ListParticipants', { roomAdmin: true, room }, { room });
  if (answer === undefined) return [];
  const parsed = listParticipantsAnswer.parse(answer);
  return (parsed.participants ?? [])
    .filter((p) => isActive(p.state))
    .map((p) => ({
      connection: p.sid,
      person: personOf(p),
      ...((p.joinedAtMs ?? p.joinedAt) !== undefined && { joinedAt: p.joinedAtMs ?? secondsToMs(p.joinedAt!) }),
    }));
}
