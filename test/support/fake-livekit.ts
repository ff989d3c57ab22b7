import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/** A participant as LiveKit's RoomService answers it (protojson: camelCase, int64 as strings). */
export interface FakeParticipant {
  sid: string;
  identity: string;
  name?: string;
  /** Epoch ms. */
  joinedAt: number;
}

/**
 * A local stand-in for LiveKit's RoomService (Twirp over HTTP/JSON), faithful in what Rollcall relies on:
 * `POST /twirp/livekit.RoomService/ListParticipants` with a bearer JWT signed by the API secret, `iss` = API
 * key and a `video.roomAdmin` grant for that room; Twirp errors as `{code, msg}` (401 unauthenticated,
 * 404 not_found for a room that does not exist). `rooms` is the truth the test controls.
 */
export class FakeLiveKit {
  readonly rooms = new Map<string, FakeParticipant[]>();
  readonly requests: Array<{ room: string; at: number }> = [];
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const twirpError = (status: number, code: string, msg: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
    };
    if (req.method !== 'POST' || req.url !== '/twirp/livekit.RoomService/ListParticipants') return twirpError(404, 'bad_route', `no handler for ${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { room } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { room?: string };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    try {
      const { payload } = await jwtVerify(token ?? '', new TextEncoder().encode(this.apiSecret), { issuer: this.apiKey, algorithms: ['HS256'] });
      const video = payload.video as { roomAdmin?: boolean; room?: string } | undefined;
      if (!video?.roomAdmin || (video.room !== undefined && video.room !== room)) return twirpError(403, 'permission_denied', 'requires roomAdmin');
    } catch {
      return twirpError(401, 'unauthenticated', 'invalid token');
    }
    this.requests.push({ room: room ?? '', at: Date.now() });
    const participants = room === undefined ? undefined : this.rooms.get(room);
    if (!participants) return twirpError(404, 'not_found', 'requested room does not exist');
    const body = {
      participants: participants.map((p) => ({
        sid: p.sid,
        identity: p.identity,
        name: p.name ?? p.identity,
        state: 'ACTIVE',
        joinedAt: String(Math.floor(p.joinedAt / 1000)),
        joinedAtMs: String(p.joinedAt),
        kind: 'STANDARD',
      })),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
