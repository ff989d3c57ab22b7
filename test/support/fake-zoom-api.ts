/**
 * A local fake of the Zoom REST API parts Rollcall reads, answering in the shapes of Zoom's reference:
 * - POST /oauth/token?grant_type=account_credentials&account_id=… (Basic client_id:client_secret) →
 *   {access_token, token_type, expires_in, scope, api_url}; tokens expire (short, configurable) and can be revoked;
 *   an API call with a missing, unknown or expired token gets 401 {code: 124}.
 * - GET /v2/past_meetings/{id}/instances → {meetings: [{uuid, start_time}]}; /v2/past_webinars/{id}/instances →
 *   {webinars: [...]}; an id of the other kind is 404 {code: 3001}.
 * - GET /v2/report/{meetings|webinars}/{id|uuid}/participants and /v2/past_{meetings|webinars}/{uuid}/participants:
 *   {page_count, page_size, total_records, next_page_token, participants}; page_size ≤ 300; next_page_token
 *   expires (15 min, configurable) and a stale one is 400 {code: 300}; registrant_id only with
 *   include_fields=registrant_id; past_* rows carry fewer fields; a numeric id means the latest instance.
 * - A UUID that starts with `/` or contains `//` must arrive double-encoded, else 404 {code: 3001}.
 * - Plan refusal on /report/* for configured series: 400 {code: 200, "Only available for Paid or ZMP account"}.
 * - A per-second request limit (fixed one-second windows): 429 {code: 429}, with `Retry-After` or without.
 * Counters in `stats` let tests assert that each of these paths was really taken.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './random.js';

export type FakeKind = 'meeting' | 'webinar';

/** One row of Zoom's participant report (one connection), plus the ground-truth person it belongs to. */
export interface FakeRow {
  /** Ground truth only: never sent. */
  person: string;
  /** Zoom user id of a signed-in participant, '' otherwise. */
  id: string;
  /** Per-meeting participant id. */
  user_id: string;
  participant_user_id: string;
  registrant_id: string;
  name: string;
  user_email: string;
  /** Epoch ms, whole seconds. */
  join_time: number;
  leave_time: number;
  status: 'in_meeting' | 'in_waiting_room';
}

export interface FakeInstance {
  uuid: string;
  startTime: number;
  endTime: number;
  rows: FakeRow[];
}

export interface FakeSeries {
  kind: FakeKind;
  id: string;
  /** Oldest first. */
  instances: FakeInstance[];
}

export interface FakeZoomOptions {
  accountId: string;
  clientId: string;
  clientSecret: string;
  /** Access token lifetime, seconds (Zoom: 3599). */
  tokenTtlSeconds?: number;
  /** Revoke every issued token after each this many API requests (forces 401s mid-sync). */
  revokeTokensEvery?: number;
  /** next_page_token lifetime (Zoom: 15 minutes). */
  pageTokenTtlMs?: number;
  /** These uses (1-based, counted over all requests that carry a next_page_token) find their token expired. */
  expirePageTokenUses?: number[];
  /** API requests per second (fixed one-second windows); unlimited when absent. */
  rateLimit?: { perSecond: number; retryAfter: 'always' | 'never' | 'alternate'; retryAfterSeconds?: number };
  /** Series ids whose /report/* endpoints refuse (the account's plan). */
  refuseReports?: string[];
}

export interface FakeZoomStats {
  tokensIssued: number;
  tokenRequestsRefused: number;
  apiRequests: number;
  unauthorized: number;
  rateLimitedWithRetryAfter: number;
  rateLimitedWithoutRetryAfter: number;
  pageTokensExpired: number;
  badlyEncoded: number;
  notFound: number;
  refused: number;
  pages: { report: number; past: number };
  /** The ids or uuids seen in participant requests, decoded. */
  participantTargets: Set<string>;
  /** Every API request (not the token endpoint) as it was answered: when it arrived (epoch ms) and its status. */
  requests: Array<{ at: number; status: number }>;
}

const MAX_PAGE_SIZE = 300;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface PageCursor {
  list: string;
  offset: number;
  expiresAt: number;
}

export class FakeZoomApi {
  readonly stats: FakeZoomStats = {
    tokensIssued: 0,
    tokenRequestsRefused: 0,
    apiRequests: 0,
    unauthorized: 0,
    rateLimitedWithRetryAfter: 0,
    rateLimitedWithoutRetryAfter: 0,
    pageTokensExpired: 0,
    badlyEncoded: 0,
    notFound: 0,
    refused: 0,
    pages: { report: 0, past: 0 },
    participantTargets: new Set(),
    requests: [],
  };
  private readonly series = new Map<string, FakeSeries>();
  private readonly instances = new Map<string, { series: FakeSeries; instance: FakeInstance }>();
  private readonly tokens = new Map<string, number>();
  private readonly cursors = new Map<string, PageCursor>();
  private pageTokenUses = 0;
  private window = { second: 0, count: 0 };
  private rateLimited = 0;
  private server = createServer((req, res) => this.handle(req, res));
  url = '';

  constructor(private options: FakeZoomOptions) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Changes options while running (e.g. lift the rate limit for a second phase). */
  configure(options: Partial<FakeZoomOptions>): void {
    this.options = { ...this.options, ...options };
  }

  add(series: FakeSeries): void {
    this.series.set(series.id, series);
    for (const instance of series.instances) this.instances.set(instance.uuid, { series, instance });
  }

  /** Environment for Rollcall's config pointing at this fake. */
  env(): Record<string, string> {
    return {
      ZOOM_ACCOUNT_ID: this.options.accountId,
      ZOOM_CLIENT_ID: this.options.clientId,
      ZOOM_CLIENT_SECRET: this.options.clientSecret,
      ZOOM_API_BASE_URL: this.url,
      ZOOM_OAUTH_URL: `${this.url}/oauth/token`,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    // Route on the raw path: Node does not decode it, so the encoding the client chose is what we see.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && rawPath === '/oauth/token') return this.token(req, url, res);
    if (req.method !== 'GET' || !rawPath.startsWith('/v2/')) return send(res, 404, { code: 404, message: 'Not found' });
    this.stats.apiRequests += 1;
    const at = Date.now();
    res.once('finish', () => this.stats.requests.push({ at, status: res.statusCode }));
    if (!this.authorised(req, res)) return;
    if (!this.withinRateLimit(res)) return;
    const every = this.options.revokeTokensEvery;
    if (every && this.stats.apiRequests % every === 0) this.tokens.clear();
    this.route(rawPath.slice('/v2/'.length).split('/'), url, res);
  }

  private token(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const expected = `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}`;
    const refuse = (reason: string, error: string) => {
      this.stats.tokenRequestsRefused += 1;
      send(res, 400, { reason, error });
    };
    if (req.headers.authorization !== expected) return refuse('Invalid client_id or client_secret', 'invalid_client');
    if (url.searchParams.get('grant_type') !== 'account_credentials')
      return refuse('unsupported grant type', 'unsupported_grant_type');
    if (url.searchParams.get('account_id') !== this.options.accountId)
      return refuse('Invalid request : Account ID is not valid', 'invalid_request');
    const ttl = this.options.tokenTtlSeconds ?? 3599;
    const token = `fake.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, Date.now() + ttl * 1000);
    this.stats.tokensIssued += 1;
    send(res, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: ttl,
      scope: 'report:read:admin meeting:read:admin webinar:read:admin',
      api_url: this.url,
    });
  }

  private authorised(req: IncomingMessage, res: ServerResponse): boolean {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiresAt = token === undefined ? undefined : this.tokens.get(token);
    if (expiresAt !== undefined && Date.now() < expiresAt) return true;
    this.stats.unauthorized += 1;
    send(res, 401, {
      code: 124,
      message: expiresAt === undefined ? 'Invalid access token.' : 'Access token is expired.',
    });
    return false;
  }

  private withinRateLimit(res: ServerResponse): boolean {
    const limit = this.options.rateLimit;
    if (!limit) return true;
    const second = Math.floor(Date.now() / 1000);
    if (this.window.second !== second) this.window = { second, count: 0 };
    if (this.window.count < limit.perSecond) {
      this.window.count += 1;
      return true;
    }
    this.rateLimited += 1;
    const withHeader =
      limit.retryAfter === 'always' || (limit.retryAfter === 'alternate' && this.rateLimited % 2 === 1);
    if (withHeader) {
      this.stats.rateLimitedWithRetryAfter += 1;
      res.setHeader('retry-after', String(limit.retryAfterSeconds ?? 1));
    } else {
      this.stats.rateLimitedWithoutRetryAfter += 1;
    }
    res.setHeader('x-ratelimit-category', 'Heavy');
    res.setHeader('x-ratelimit-type', 'QPS');
    send(res, 429, {
      code: 429,
      message: 'You have reached the maximum per-second rate limit for this API. Try again later.',
    });
    return false;
  }

  private route(segments: string[], url: URL, res: ServerResponse): void {
    const [first, second, third, fourth, ...rest] = segments;
    if (
      rest.length === 0 &&
      (first === 'past_meetings' || first === 'past_webinars') &&
      fourth === undefined &&
      third === 'instances'
    ) {
      return this.listInstances(first === 'past_meetings' ? 'meeting' : 'webinar', second!, res);
    }
    if (
      rest.length === 0 &&
      first === 'report' &&
      (second === 'meetings' || second === 'webinars') &&
      fourth === 'participants'
    ) {
      return this.participants('report', second === 'meetings' ? 'meeting' : 'webinar', third!, url, res);
    }
    if (
      rest.length === 0 &&
      (first === 'past_meetings' || first === 'past_webinars') &&
      third === 'participants' &&
      fourth === undefined
    ) {
      return this.participants('past', first === 'past_meetings' ? 'meeting' : 'webinar', second!, url, res);
    }
    this.stats.notFound += 1;
    send(res, 404, { code: 404, message: 'Not found' });
  }

  private listInstances(kind: FakeKind, rawId: string, res: ServerResponse): void {
    const id = safeDecode(rawId) ?? rawId;
    const series = this.series.get(id);
    if (!series || series.kind !== kind) return this.missing(kind, id, res);
    const list = series.instances.map((i) => ({ uuid: i.uuid, start_time: iso(i.startTime) }));
    send(res, 200, kind === 'meeting' ? { meetings: list } : { webinars: list });
  }

  /**
   * Zoom decodes a path segment once before routing: a `/` that was encoded only once becomes a path separator,
   * so a UUID that begins with `/` or contains `//` names nothing unless it was encoded twice. A numeric series id
   * means its latest instance.
   */
  private resolve(rawId: string): { series: FakeSeries; instance: FakeInstance } | 'badly-encoded' | undefined {
    const once = safeDecode(rawId);
    if (once === undefined) return undefined;
    if (needsDoubleEncoding(once)) return 'badly-encoded';
    const twice = safeDecode(once);
    const id = twice !== undefined && needsDoubleEncoding(twice) ? twice : once;
    const series = this.series.get(id);
    if (series) return { series, instance: series.instances.at(-1)! };
    return this.instances.get(id);
  }

  private participants(source: 'report' | 'past', kind: FakeKind, rawId: string, url: URL, res: ServerResponse): void {
    const found = this.resolve(rawId);
    if (found === 'badly-encoded') {
      this.stats.badlyEncoded += 1;
      return this.missing(kind, rawId, res);
    }
    if (!found || found.series.kind !== kind) return this.missing(kind, rawId, res);
    const { series, instance } = found;
    this.stats.participantTargets.add(instance.uuid);
    if (source === 'report' && this.options.refuseReports?.includes(series.id)) {
      this.stats.refused += 1;
      return send(res, 400, {
        code: 200,
        message: `Only available for Paid or ZMP account: ${this.options.accountId}.`,
      });
    }
    const list = `${source}:${instance.uuid}`;
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(url.searchParams.get('page_size') ?? 30) || 30));
    let offset = 0;
    const token = url.searchParams.get('next_page_token');
    if (token) {
      this.pageTokenUses += 1;
      const cursor = this.cursors.get(token);
      const forcedExpiry = this.options.expirePageTokenUses?.includes(this.pageTokenUses) ?? false;
      if (!cursor || cursor.list !== list || Date.now() > cursor.expiresAt || forcedExpiry) {
        this.stats.pageTokensExpired += 1;
        return send(res, 400, { code: 300, message: 'The next page token is invalid or expired.' });
      }
      offset = cursor.offset;
    }
    const rows = [...instance.rows].sort((a, b) => a.join_time - b.join_time || compare(a.user_id, b.user_id));
    const page = rows.slice(offset, offset + pageSize);
    let next = '';
    if (offset + pageSize < rows.length) {
      next = randomBytes(16).toString('base64url');
      this.cursors.set(next, {
        list,
        offset: offset + pageSize,
        expiresAt: Date.now() + (this.options.pageTokenTtlMs ?? 15 * 60_000),
      });
    }
    this.stats.pages[source] += 1;
    const withRegistrant =
      source === 'past' || (url.searchParams.get('include_fields') ?? '').split(',').includes('registrant_id');
    send(res, 200, {
      page_count: Math.ceil(rows.length / pageSize),
      page_size: pageSize,
      total_records: rows.length,
      next_page_token: next,
      participants: page.map((row) => (source === 'report' ? reportRow(row, withRegistrant) : pastRow(row))),
    });
  }

  private missing(kind: FakeKind, id: string, res: ServerResponse): void {
    this.stats.notFound += 1;
    send(res, 404, { code: 3001, message: `${kind === 'meeting' ? 'Meeting' : 'Webinar'} does not exist: ${id}.` });
  }
}

function reportRow(row: FakeRow, withRegistrant: boolean) {
  return {
    id: row.id,
    user_id: row.user_id,
    name: row.name,
    user_email: row.user_email,
    join_time: iso(row.join_time),
    leave_time: iso(row.leave_time),
    duration: Math.round((row.leave_time - row.join_time) / 1000),
    ...(withRegistrant && { registrant_id: row.registrant_id }),
    failover: false,
    status: row.status,
    customer_key: '',
    participant_user_id: row.participant_user_id,
  };
}

/** Rows of /past_{meetings,webinars}/{uuid}/participants: fewer fields (no participant_user_id, customer_key). */
function pastRow(row: FakeRow) {
  return {
    id: row.id,
    name: row.name,
    user_id: row.user_id,
    registrant_id: row.registrant_id,
    user_email: row.user_email,
    join_time: iso(row.join_time),
    leave_time: iso(row.leave_time),
    duration: Math.round((row.leave_time - row.join_time) / 1000),
    failover: false,
    status: row.status,
    internal_user: false,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function needsDoubleEncoding(id: string): boolean {
  return id.startsWith('/') || id.includes('//');
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function startFakeZoomApi(options: FakeZoomOptions): Promise<FakeZoomApi> {
  return new FakeZoomApi(options).start();
}

// ---- ground truth ------------------------------------------------------------------------------

export interface GenerateOptions {
  kind: FakeKind;
  id: string;
  /** uuid, start (epoch ms, whole seconds) and length of each instance, oldest first. */
  instances: Array<{ uuid: string; startTime: number; minutes: number }>;
  attendeesPerInstance: number;
  seed: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * A meeting or webinar series with `attendeesPerInstance` distinct people in each instance, drawn from one pool
 * (recurring attendees come back). People are registrants (email + registrant id), signed-in Zoom users (Zoom
 * user id, some also registered) or anonymous guests (a name only, one device). Most reconnect several times
 * (each reconnect a new row, with a new user_id unless anonymous), some join a second device that overlaps, some
 * arrive before the start or stay past the end, some wait in the waiting room first (a row that is no attendance).
 */
export function generateSeries(options: GenerateOptions): FakeSeries {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const poolSize = Math.ceil(options.attendeesPerInstance * 1.25);
  let nextUserId = 16_778_240;
  const instances = options.instances.map(({ uuid, startTime, minutes }) => {
    const endTime = startTime + minutes * MINUTE;
    const chosen = new Set<number>();
    while (chosen.size < options.attendeesPerInstance) chosen.add(pick(poolSize));
    const rows: FakeRow[] = [];
    for (const n of [...chosen].sort((a, b) => a - b)) {
      const kind = n % 10 < 5 ? 'registrant' : n % 10 < 8 ? 'signed-in' : 'anonymous';
      const person = `p${n}`;
      const base = {
        person,
        id: kind === 'signed-in' ? `zu${n}AbCdEf` : '',
        participant_user_id: kind === 'signed-in' ? `zu${n}AbCdEf` : '',
        registrant_id: kind === 'registrant' || (kind === 'signed-in' && n % 2 === 0) ? `reg${n}Xy` : '',
        name: `Attendee ${n}`,
        user_email: kind === 'anonymous' ? '' : `attendee${n}@webinar.example`,
      };
      const anonymousUserId = String(nextUserId++);
      const userId = () => (kind === 'anonymous' ? anonymousUserId : String(nextUserId++));
      const second = (ms: number) => Math.round(ms / SECOND) * SECOND;
      // Arrival: mostly in the first 20 minutes, some up to 10 minutes early.
      let t = second(startTime + (random() < 0.08 ? -pick(10 * MINUTE) : pick(20 * MINUTE)));
      if (random() < 0.05)
        rows.push({ ...base, user_id: userId(), join_time: t - 2 * MINUTE, leave_time: t, status: 'in_waiting_room' });
      const cycles = 1 + (random() < 0.6 ? 1 + pick(3) : 0);
      for (let c = 0; c < cycles; c++) {
        const leave = second(Math.min(t + (3 + random() * 40) * MINUTE, endTime + pick(10 * MINUTE)));
        const joinAt = Math.min(t, leave);
        rows.push({ ...base, user_id: userId(), join_time: joinAt, leave_time: leave, status: 'in_meeting' });
        if (kind !== 'anonymous' && random() < 0.1) {
          // a second device, overlapping the first
          const from = second(joinAt + random() * (leave - joinAt));
          rows.push({
            ...base,
            user_id: userId(),
            join_time: from,
            leave_time: second(from + random() * 20 * MINUTE),
            status: 'in_meeting',
          });
        }
        t = second(leave + random() * 5 * MINUTE);
        if (t >= endTime) break;
      }
    }
    return { uuid, startTime, endTime, rows };
  });
  return { kind: options.kind, id: options.id, instances };
}

/**
 * What attendance must come out, computed from the rows alone: per person (by name), the length in seconds of
 * the union of their in-meeting rows clipped to [from, to), and how many rows (connections) they had.
 */
export function groundTruth(
  instance: FakeInstance,
  from: number,
  to: number,
): Map<string, { seconds: number; connections: number; registrantId: string }> {
  const byPerson = new Map<string, FakeRow[]>();
  for (const row of instance.rows) {
    if (row.status !== 'in_meeting') continue;
    byPerson.set(row.name, [...(byPerson.get(row.name) ?? []), row]);
  }
  const truth = new Map<string, { seconds: number; connections: number; registrantId: string }>();
  for (const [name, rows] of byPerson) {
    const spans = rows
      .map((r) => [Math.max(from, r.join_time), Math.min(to, r.leave_time)] as const)
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    let total = 0;
    let end = -Infinity;
    for (const [a, b] of spans) {
      if (a > end) {
        total += b - a;
        end = b;
      } else if (b > end) {
        total += b - end;
        end = b;
      }
    }
    truth.set(name, {
      seconds: Math.floor(total / SECOND),
      connections: rows.length,
      registrantId: rows[0]!.registrant_id,
    });
  }
  return truth;
}
