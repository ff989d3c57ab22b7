import { SignJWT } from 'jose';
import { z } from 'zod';
import type { ReconcileEvent } from '../domain/index.js';
import { participantSchema, personOf } from '../providers/livekit.js';

export interface LiveKitServer {
  /** The LiveKit server URL as configured (https:// or wss://). */
  url: string;
  apiKey: string;
  apiSecret: string;
}

const listParticipantsAnswer = z.object({ participants: z.array(participantSchema).optional() });

/** A short-lived server token with the roomAdmin grant ListParticipants requires. */
async function roomAdminToken(server: LiveKitServer, room: string): Promise<string> {
  return new SignJWT({ video: { roomAdmin: true, room } })
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

/**
 * Who LiveKit says is in `room` right now (RoomService ListParticipants). A room LiveKit no longer has
 * (Twirp `not_found`) is an empty room: that too is evidence that everyone has left.
 */
export async function listRoomParticipants(server: LiveKitServer, room: string): Promise<ReconcileEvent['present']> {
  const res = await fetch(twirpUrl(server, 'ListParticipants'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await roomAdminToken(server, room)}` },
    body: JSON.stringify({ room }),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status === 404 && (body as { code?: string } | undefined)?.code === 'not_found') return [];
  if (!res.ok) throw new Error(`LiveKit ListParticipants answered ${res.status}: ${JSON.stringify(body)}`);
  const parsed = listParticipantsAnswer.parse(body);
  return (parsed.participants ?? []).map((p) => ({
    connection: p.sid,
    person: personOf(p),
    ...((p.joinedAtMs ?? p.joinedAt) !== undefined && { joinedAt: p.joinedAtMs ?? p.joinedAt! * 1000 }),
  }));
}
