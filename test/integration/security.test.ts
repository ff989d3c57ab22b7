/**
 * Safe by default: what a stranger on the network, a page on another site, or someone reading Temporal's storage
 * can get from Rollcall. Each case fails when its protection is taken away.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { listen } from '../../src/api/server.js';
import { ConfigError } from '../../src/config/index.js';
import { createPool } from '../../src/db/pool.js';
import pg from 'pg';
import { databaseUrlFor, startEmbeddedPostgres } from '../../src/infra/postgres.js';
import { passwordFileFor } from '../../src/infra/postgres-password.js';
import { ENCRYPTED_ENCODING } from '../../src/infra/payload-codec.js';
import { freePort } from '../../src/infra/ports.js';
import { createLogger } from '../../src/logger.js';
import { serveWorkerMetrics } from '../../src/worker/metrics.js';
import { installRuntime } from '../../src/worker/runtime.js';
import { PROVIDER_SETTINGS, WebhookSender } from '../support/scenario.js';
import { zoomParticipantJoined } from '../support/sign.js';
import { eventually, request, startSystem, testConfig, type TestSystem } from '../support/system.js';

const MINUTE = 60_000;
const TOKEN = 'security-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const { History } = proto.temporal.api.history.v1;

/** An HTTP request with any Host header (fetch will not send a forged one). */
function raw(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Runs the API process (src/api/main.ts) with `env`; it must refuse to start: exit code and stderr. */
function apiProcess(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'warn',
    PORT: '0',
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    DATABASE_URL: process.env.TEST_DATABASE_URL!,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
    env: { ...base, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

/** Whether something accepts TCP connections at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** An address of this machine that is not loopback: what another machine on the network would connect to. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((info) => info && !info.internal && info.family === 'IPv4')?.address;

describe('start-up refusals', () => {
  it('refuses to listen on a non-loopback HOST without API_TOKEN, naming both variables', async () => {
    const { code, stderr } = await apiProcess({ HOST: '0.0.0.0' });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /HOST/);
    assert.match(stderr, /API_TOKEN/);
    // In-process too: listen() is the one way the API opens a socket.
    const config = testConfig({ HOST: '0.0.0.0' });
    const pool = createPool(config.databaseUrl!);
    try {
      await assert.rejects(
        listen({ config, pool, temporal: undefined as never, logger: createLogger('test', 'silent') }, 0),
        ConfigError,
      );
    } finally {
      await pool.end();
    }
  });

  it('never prints a database password or a secret in a configuration error', async () => {
    const { code, stderr } = await apiProcess({
      DATABASE_URL: 'mysql://rollcall:pa55-w0rd-x@db.internal:5432/rollcall',
      PAYLOAD_ENCRYPTION_KEY: 'too-short-key-material',
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /DATABASE_URL/);
    assert.match(stderr, /PAYLOAD_ENCRYPTION_KEY/);
    assert.ok(!stderr.includes('pa55-w0rd-x'), stderr);
    assert.ok(!stderr.includes('too-short-key-material'), stderr);
  });
});

describe('metrics endpoints', () => {
  it('bind loopback by default: the worker metrics and the Temporal SDK exporter', async () => {
    const sdkPort = await freePort();
    // Before any worker connects (which would install the runtime without an exporter).
    installRuntime(createLogger('test', 'warn'), sdkPort);
    const metrics = await serveWorkerMetrics(0);
    try {
      const port = Number(new URL(metrics.url).port);
      assert.equal(new URL(metrics.url).hostname, '127.0.0.1');
      assert.ok(await accepts('127.0.0.1', port));
      // The SDK starts its exporter with the runtime's first use.
      const system = await startSystem();
      try {
        await eventually(
          async () => ((await accepts('127.0.0.1', sdkPort)) ? true : undefined),
          10_000,
          'the SDK metrics exporter',
        );
        if (externalAddress) {
          assert.equal(await accepts(externalAddress, port), false, `worker metrics answer on ${externalAddress}`);
          assert.equal(await accepts(externalAddress, sdkPort), false, `SDK metrics answer on ${externalAddress}`);
        }
      } finally {
        await system.stop();
      }
    } finally {
      await metrics.close();
    }
  });
});

describe('an API without a token (loopback)', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(async () => {
    await system?.stop();
  });

  const start = Math.floor(Date.now() / MINUTE) * MINUTE;
  const registration = (id: string) => ({
    id,
    provider: 'livekit',
    room: `room-${id}`,
    scheduledStart: new Date(start).toISOString(),
    scheduledEnd: new Date(start + 60 * MINUTE).toISOString(),
  });

  it('refuses writes that are not JSON, as a page on another site would send them (415), and changes nothing', async () => {
    const body = JSON.stringify(registration('cross-site-1'));
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${system.api.url}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(res.status, 415, type);
    }
    // No body at all (fetch's no-cors POST): still refused.
    assert.equal((await fetch(`${system.api.url}/api/sessions/cross-site-1/end`, { method: 'POST' })).status, 415);
    assert.equal(
      (
        await fetch(`${system.api.url}/api/users`, {
          method: 'PUT',
          headers: { 'content-type': 'text/plain' },
          body: '[]',
        })
      ).status,
      415,
    );
    assert.equal((await request(system, 'GET', '/api/sessions/cross-site-1')).status, 404);
    // The same registration as JSON is accepted.
    assert.equal((await request(system, 'POST', '/api/sessions', registration('cross-site-1'))).status, 201);
  });

  it('answers only loopback Host names on its own port (DNS rebinding), and grants no CORS', async () => {
    const port = Number(new URL(system.api.url).port);
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost:${port + 1}`,
      `127.0.0.1.nip.io:${port}`,
      `192.168.1.5:${port}`,
    ]) {
      for (const path of ['/api/sessions/cross-site-1', '/readyz', '/sessions/cross-site-1/live']) {
        const res = await raw(system.api.url, { path, headers: { host } });
        assert.equal(res.status, 421, `${host} ${path}: ${res.status}`);
        assert.ok(!res.body.includes('cross-site-1'));
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`])
      assert.equal(
        (await raw(system.api.url, { path: '/api/sessions/cross-site-1', headers: { host } })).status,
        200,
        host,
      );
    const preflight = await raw(system.api.url, {
      method: 'OPTIONS',
      path: '/api/sessions',
      headers: {
        host: `localhost:${port}`,
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    const read = await raw(system.api.url, {
      path: '/api/sessions/cross-site-1',
      headers: { host: `localhost:${port}`, origin: 'https://evil.example' },
    });
    assert.equal(read.headers['access-control-allow-origin'], undefined);
  });

  it('refuses registering a session under an ad-hoc id, and report syncs of ids that are not Zoom ids', async () => {
    for (const id of ['zoom-abc', 'livekit-abc', 'ZOOM-abc'])
      assert.equal((await request(system, 'POST', '/api/sessions', registration(id))).status, 400, id);
    for (const body of [
      { meetingId: '..' },
      { webinarId: '../../users/me' },
      { meetingId: '85746065432', instanceUuid: '../x' },
      { meetingId: '8574 6065' },
    ]) {
      assert.equal((await request(system, 'POST', '/api/zoom/report-sync', body)).status, 400, JSON.stringify(body));
    }
    for (const id of ['abc', '..%2F..%2Fusers', '1.5'])
      assert.equal((await request(system, 'GET', `/api/zoom/meetings/${id}/analytics`)).status, 400, id);
  });
});

describe('answers carry no internal detail', () => {
  it('readiness and failed requests say what is down, never the database error', async () => {
    const missing = `rollcall_missing_${Date.now()}`;
    const config = testConfig();
    const pool = createPool(databaseUrlFor(config.databaseUrl!, missing));
    const system = await startSystem();
    const api = await listen(
      { config, pool, temporal: system.client, logger: createLogger('test', 'silent') },
      0,
      '127.0.0.1',
    );
    try {
      const ready = await fetch(`${api.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = await ready.text();
      assert.deepEqual(JSON.parse(body), { status: 'not ready', checks: { postgres: 'unavailable', temporal: 'ok' } });
      for (const path of ['/api/sessions/x', '/api/sessions/x/attendance', '/api/dead-letters']) {
        const res = await fetch(`${api.url}${path}`);
        const text = await res.text();
        assert.equal(res.status, 500, path);
        assert.deepEqual(JSON.parse(text), { error: 'internal error' });
        assert.ok(!text.includes(missing) && !text.includes('does not exist'), text);
      }
    } finally {
      await api.close();
      await pool.end();
      await system.stop();
    }
  });
});

describe('with API_TOKEN: student data in Temporal, the codec endpoint and viewer links', () => {
  let system: TestSystem;
  const email = `jill.${Date.now()}@school.example`;
  const name = 'Jillian Chillworth';
  const sessionId = `secure-${Date.now()}`;
  const meetingId = `9${Date.now() % 1_000_000_000}`;
  const start = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;

  before(async () => {
    system = await startSystem({ API_TOKEN: TOKEN, ...PROVIDER_SETTINGS });
    const registered = await request(
      system,
      'POST',
      '/api/sessions',
      {
        id: sessionId,
        provider: 'zoom',
        room: meetingId,
        title: 'Algebra 2, period 3',
        scheduledStart: new Date(start).toISOString(),
        scheduledEnd: new Date(start + 60 * MINUTE).toISOString(),
        roster: [{ userId: 'u-jill', email, name }],
      },
      auth,
    );
    assert.equal(registered.status, 201);
    // The join comes as Zoom sends it, so its facts reach the workflow as every webhook's do.
    await new WebhookSender(system, 'zoom').accept(
      zoomParticipantJoined({
        meetingId,
        uuid: `sec-${meetingId}==`,
        userId: '16778240',
        userName: name,
        email,
        joinTime: start + MINUTE,
      }),
    );
    await eventually(
      async () => {
        const presence = await request<{ counts?: { inRoom: number } }>(
          system,
          'GET',
          `/api/sessions/${sessionId}/presence`,
          undefined,
          auth,
        );
        return presence.body.counts?.inRoom === 1 ? true : undefined;
      },
      20_000,
      'the join to reach the workflow',
    );
  });
  after(async () => {
    await system?.stop();
  });

  /** The session's history as Temporal stores it, read by a client that has no codec (what the Web UI or a database dump shows). */
  async function rawHistory() {
    const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    try {
      return await new Client({ connection, namespace: system.config.temporal.namespace }).workflow
        .getHandle(`session-${sessionId}`)
        .fetchHistory();
    } finally {
      await connection.close();
    }
  }

  it('keeps names and emails out of Temporal in clear: inputs, signals, memo and search attributes', async () => {
    const history = await rawHistory();
    const bytes = Buffer.from(History.encode(History.fromObject(history)).finish());
    assert.ok(bytes.length > 0);
    assert.ok(!bytes.includes(email), 'the roster email is in the history in clear');
    assert.ok(!bytes.includes(name), 'the roster name is in the history in clear');
    assert.ok(!bytes.includes('u-jill'), 'the roster user id is in the history in clear');
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = started?.input?.payloads?.[0];
    assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);
    assert.deepEqual(Object.keys(started?.memo?.fields ?? {}), ['title'], 'the memo holds the title only');
    assert.equal(Buffer.from(started?.memo?.fields?.title?.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);
    const attributes = JSON.stringify(started?.searchAttributes ?? {});
    assert.ok(!attributes.includes(Buffer.from(email).toString('base64').slice(0, 12)));
    const signal = history.events?.find(
      (event) => event.workflowExecutionSignaledEventAttributes,
    )?.workflowExecutionSignaledEventAttributes;
    assert.ok(signal, 'the webhook reached the workflow as a signal');
    assert.equal(Buffer.from(signal?.input?.payloads?.[0]?.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);
  });

  it('decodes them through the codec endpoint for a token holder, in the Temporal UI codec protocol', async () => {
    const history = await rawHistory();
    const payloads = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    }));
    const body = JSON.stringify({ payloads });
    const url = `${system.api.url}/codec/decode`;
    const headers = { 'content-type': 'application/json', 'x-namespace': 'default' };
    assert.equal((await fetch(url, { method: 'POST', headers, body })).status, 401);
    assert.equal(
      (await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong' }, body })).status,
      401,
    );
    const decoded = await fetch(url, { method: 'POST', headers: { ...headers, ...auth }, body });
    assert.equal(decoded.status, 200);
    const answer = (await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(answer.payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.ok(Buffer.from(answer.payloads[0]!.data, 'base64').toString().includes(email));
    // encode gives back something that decodes to the same.
    const encoded = await fetch(`${system.api.url}/codec/encode`, {
      method: 'POST',
      headers: { ...headers, ...auth },
      body: JSON.stringify(answer),
    });
    const reencoded = (await encoded.json()) as { payloads: Array<{ metadata: Record<string, string> }> };
    assert.equal(Buffer.from(reencoded.payloads[0]!.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
  });

  it('grants CORS on the codec endpoint to the Temporal UI origin only', async () => {
    const uiOrigin = new URL(system.config.temporal.uiUrl).origin;
    const preflight = (origin: string) =>
      fetch(`${system.api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const allowed = await preflight(uiOrigin);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), uiOrigin);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    const refused = await preflight('https://evil.example');
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  });

  it('mints a read-only viewer link for one session: its live stream and CSV, nothing else', async () => {
    assert.equal((await request(system, 'POST', `/api/sessions/${sessionId}/viewer-link`)).status, 401);
    const minted = await request<{ url: string; token: string; expiresAt: string }>(
      system,
      'POST',
      `/api/sessions/${sessionId}/viewer-link`,
      undefined,
      auth,
    );
    assert.equal(minted.status, 201);
    assert.ok(!minted.body.url.includes(TOKEN));
    assert.match(minted.body.url, new RegExp(`/sessions/${sessionId}/live#view=`));
    assert.ok(Date.parse(minted.body.expiresAt) > Date.now());
    const viewer = { authorization: `Bearer ${minted.body.token}` };

    const stream = new AbortController();
    const live = await fetch(`${system.api.url}/api/sessions/${sessionId}/live`, {
      headers: viewer,
      signal: stream.signal,
    });
    assert.equal(live.status, 200);
    assert.match(live.headers.get('content-type') ?? '', /text\/event-stream/);
    stream.abort();
    assert.equal(
      (await request(system, 'GET', `/api/sessions/${sessionId}/attendance.csv`, undefined, viewer)).status,
      200,
    );

    for (const [method, path] of [
      ['GET', `/api/sessions/${sessionId}`],
      ['GET', `/api/sessions/${sessionId}/attendance`],
      ['GET', `/api/sessions/${sessionId}/presence`],
      ['GET', '/api/dead-letters'],
      ['POST', `/api/sessions/${sessionId}/viewer-link`],
      ['POST', `/api/sessions/${sessionId}/recalculate`],
      ['GET', `/api/sessions/other-${sessionId}/live`],
      ['GET', `/api/sessions/other-${sessionId}/attendance.csv`],
    ] as const) {
      assert.equal((await request(system, method, path, undefined, viewer)).status, 401, `${method} ${path}`);
    }
    const tampered = minted.body.token.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal(
      (
        await request(system, 'GET', `/api/sessions/${sessionId}/attendance.csv`, undefined, {
          authorization: `Bearer ${tampered}`,
        })
      ).status,
      401,
    );
    assert.equal((await request(system, 'GET', '/openapi.json')).status, 200);
  });
});

describe('embedded PostgreSQL', () => {
  /** Whether user:password may log in to the server. */
  async function logsIn(port: number, password: string): Promise<boolean> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database: 'postgres',
      connectionTimeoutMillis: 5_000,
    });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  it('has a random superuser password kept beside its data (0600), and gives old data directories one', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'rollcall-pg-'));
    // As root, PostgreSQL runs as the postgres user, which must be able to enter the scratch directory.
    chmodSync(scratch, 0o755);
    const dataDir = join(scratch, 'postgres');
    const port = await freePort();
    try {
      let server = await startEmbeddedPostgres(dataDir, port, () => undefined);
      const password = readFileSync(passwordFileFor(dataDir), 'utf8').trim();
      try {
        assert.ok(password.length >= 24);
        assert.equal(statSync(passwordFileFor(dataDir)).mode & 0o777, 0o600);
        assert.equal(decodeURIComponent(new URL(server.serverUrl).password), password);
        assert.equal(await logsIn(port, 'postgres'), false, 'postgres:postgres logs in');
        assert.equal(await logsIn(port, password), true);
        // Make it what data directories made before were: the fixed password, no password file.
        const admin = new pg.Client({ connectionString: server.serverUrl });
        await admin.connect();
        await admin.query("ALTER ROLE postgres PASSWORD 'postgres'");
        await admin.end();
      } finally {
        await server.stop();
      }
      rmSync(passwordFileFor(dataDir));
      server = await startEmbeddedPostgres(dataDir, port, () => undefined);
      try {
        const adopted = readFileSync(passwordFileFor(dataDir), 'utf8').trim();
        assert.notEqual(adopted, 'postgres');
        assert.equal(await logsIn(port, 'postgres'), false, 'the old fixed password still logs in');
        assert.equal(await logsIn(port, adopted), true);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
