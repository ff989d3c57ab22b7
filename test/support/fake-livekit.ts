import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/** LiveKit's ParticipantInfo.State: JOINING is 0, the default, so protojson leaves it out of an answer. */
export type FakeParticipantState = 'JOINING' | 'JOINED' | 'ACTIVE' | 'DISCONNECTED';

/** A participant as LiveKit's RoomService answers it (protojson: camelCase, int64 as strings). */
export interface FakeParticipant {
  sid: string;
  identity: string;
  name?: string;
  /** Epoch ms. */
  joinedAt: number;
  /** ACTIVE unless said otherwise. */
  state?: FakeParticipantState;
}

/** A room LiveKit has now: a room name is reused by every new room of that name, each with a new sid. */
export interface FakeRoom {
  sid: string;
  participants: FakeParticipant[];
  /** Epoch ms; now when not given. */
  createdAt?: number;
}

type VideoGrant = { roomAdmin?: boolean; roomList?: boolean; room?: string };

/**
 * A local stand-in for LiveKit's RoomService (Twirp over HTTP/JSON), faithful in what Rollcall relies on:
 * - `POST /twirp/livekit.RoomService/ListRooms` `{names?}`: needs a token with the `video.roomList` grant;
 *   answers the rooms of those names that exist now (`{}` when none: protojson leaves out empty fields).
 * - `POST /twirp/livekit.RoomService/ListParticipants` `{room}`: needs `video.roomAdmin` for that very room;
 *   404 `not_found` for a room that does not exist; a participant's `state` is left out when it is JOINING.
 * Tokens are bearer JWTs signed with the API secret, `iss` = API key. As LiveKit does, a token without the
 * grant a method needs is refused like a bad one: Twirp `unauthenticated` (401). `rooms` is the truth the test
 * controls, by room name.
 */
export class FakeLiveKit {
  readonly rooms = new Map<string, FakeRoom>();
  readonly requests: Array<{ method: string; room: string; at: number }> = [];
  private server?: http.Server;

  constructor(
    private readonly apiKey: string,
    private readonly apiSecret: string,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** ListParticipants requests for `room` so far. */
  participantRequests(room: string): number {
    return this.requests.filter((r) => r.method === 'ListParticipants' && r.room === room).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const twirpError = (status: number, code: string, msg: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
    };
    const answer = (body: object) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const method = /^\/twirp\/livekit\.RoomService\/(ListRooms|ListParticipants)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !method)
      return twirpError(404, 'bad_route', `no handler for ${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { room?: string; names?: string[] };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let video: VideoGrant | undefined;
    try {
      const { payload } = await jwtVerify(token ?? '', new TextEncoder().encode(this.apiSecret), {
        issuer: this.apiKey,
        algorithms: ['HS256'],
      });
      video = payload.video as VideoGrant | undefined;
    } catch {
      return twirpError(401, 'unauthenticated', 'invalid token');
    }

    if (method === 'ListRooms') {
      if (!video?.roomList) return twirpError(401, 'unauthenticated', 'permissions denied');
      const names = request.names ?? [];
      this.requests.push({ method, room: names.join(','), at: Date.now() });
      const rooms = [...this.rooms].filter(([name]) => names.length === 0 || names.includes(name));
      if (rooms.length === 0) return answer({});
      return answer({
        rooms: rooms.map(([name, room]) => {
          const createdAt = room.createdAt ?? Date.now();
          const active = room.participants.filter((p) => (p.state ?? 'ACTIVE') !== 'DISCONNECTED').length;
          return {
            sid: room.sid,
            name,
            emptyTimeout: 300,
            departureTimeout: 20,
            creationTime: String(Math.floor(createdAt / 1000)),
            creationTimeMs: String(createdAt),
            ...(active > 0 && { numParticipants: active }),
          };
        }),
      });
    }

    const room = request.room;
    if (!video?.roomAdmin || room === undefined || video.room !== room)
      return twirpError(401, 'unauthenticated', 'permissions denied');
    this.requests.push({ method, room, at: Date.now() });
    const found = this.rooms.get(room);
    if (!found) return twirpError(404, 'not_found', 'requested room does not exist');
    answer({
      participants: found.participants.map((p) => {
        const state = p.state ?? 'ACTIVE';
        return {
          sid: p.sid,
          identity: p.identity,
          ...(state !== 'JOINING' && { state }),
          name: p.name ?? p.identity,
          joinedAt: String(Math.floor(p.joinedAt / 1000)),
          joinedAtMs: String(p.joinedAt),
          // kind STANDARD is 0, the default: left out too.
        };
      }),
    });
  }
}
