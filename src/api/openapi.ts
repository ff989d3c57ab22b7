import { Router } from 'express';
import { z } from 'zod';
import { attendanceReportSchema } from '../schemas/attendance.js';
import { errorSchema } from '../schemas/common.js';
import { reportSyncSchema } from '../schemas/report-sync.js';
import {
  endSessionSchema,
  presenceSchema,
  registeredSchema,
  registerSessionSchema,
  sessionDetailSchema,
  sessionIdParam,
  sessionStateSchema,
} from '../schemas/sessions.js';
import { upsertedSchema, upsertUsersSchema } from '../schemas/users.js';

/** JSON Schema of a zod schema as a request accepts it (`input`: defaults optional) or a response gives it. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const result: Record<string, unknown> = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  // OpenAPI 3.1's own dialect is JSON Schema 2020-12, what zod targets; the per-schema marker is noise.
  delete result.$schema;
  return result;
}

const requestSchemas = {
  RegisterSession: registerSessionSchema,
  EndSession: endSessionSchema,
  Users: upsertUsersSchema,
  ReportSync: reportSyncSchema,
};
const responseSchemas = {
  Registered: registeredSchema,
  SessionDetail: sessionDetailSchema,
  SessionState: sessionStateSchema,
  Presence: presenceSchema,
  AttendanceReport: attendanceReportSchema,
  Upserted: upsertedSchema,
  Error: errorSchema,
};
type SchemaName = keyof typeof requestSchemas | keyof typeof responseSchemas;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const body = (name: SchemaName, required = true) => ({
  required,
  content: { 'application/json': { schema: ref(name) } },
});
const reply = (description: string, name: SchemaName = 'Error') => ({
  description,
  content: { 'application/json': { schema: ref(name) } },
});
const text = (description: string, type: string) => ({
  description,
  content: { [type]: { schema: { type: 'string' } } },
});

const bad = reply('invalid request; the message names the fields');
const unauthorized = reply('missing or wrong bearer token');
const unknown = reply('no such session');
const unavailable = reply('Temporal is unreachable; retry later');
const notJson = reply('a write that is not `content-type: application/json`');
const badHost = reply('without API_TOKEN: a Host that is not localhost, 127.x or [::1] on this port');

/** /api/* operations take the bearer token and most name a session. */
const api = (operation: Record<string, unknown>, withId = true) => ({
  security: [{ bearer: [] }],
  ...(withId
    ? { parameters: [{ name: 'id', in: 'path', required: true, schema: jsonSchema(sessionIdParam.shape.id, 'input') }] }
    : {}),
  ...operation,
  responses: { 401: unauthorized, 421: badHost, ...(operation.responses as object) },
});

const webhook = (provider: string, contentType: string) => ({
  post: {
    summary: `${provider} webhook; authenticated by the provider's signature only`,
    security: [],
    requestBody: {
      required: true,
      content: {
        [contentType]: {
          schema: { type: 'object', description: `${provider}'s event payload, verified on its raw bytes` },
        },
      },
    },
    responses: {
      200: { description: 'durably accepted (signalled to Temporal), or a well-signed event type that is ignored' },
      400: bad,
      401: reply('bad or missing signature'),
      503: unavailable,
    },
  },
});

/** The Temporal Web UI's remote codec protocol (the payloads' metadata values and data in base64). */
const codec = (direction: 'decode' | 'encode') => ({
  summary: `${direction} Temporal payloads with PAYLOAD_ENCRYPTION_KEY (the Temporal Web UI's remote codec); CORS for TEMPORAL_UI_URL's origin only`,
  security: [{ bearer: [] }],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            payloads: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  metadata: { type: 'object', additionalProperties: { type: 'string' } },
                  data: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  },
  responses: { 200: { description: '`{payloads}` in the same form' }, 400: bad, 401: unauthorized, 415: notJson },
});

function buildDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rollcall',
      version: '1.0.0',
      description: 'Attendance from Zoom and LiveKit webhooks. Times are ISO-8601 UTC.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN; required when it is set' },
      },
      schemas: {
        ...Object.fromEntries(
          Object.entries(requestSchemas).map(([name, schema]) => [name, jsonSchema(schema, 'input')]),
        ),
        ...Object.fromEntries(
          Object.entries(responseSchemas).map(([name, schema]) => [name, jsonSchema(schema, 'output')]),
        ),
      },
    },
    paths: {
      '/webhooks/zoom': webhook('Zoom', 'application/json'),
      '/webhooks/livekit': webhook('LiveKit', 'application/webhook+json'),
      '/api/sessions': {
        post: api(
          {
            summary: 'register a session and start its workflow',
            requestBody: body('RegisterSession'),
            responses: {
              201: reply('registered', 'Registered'),
              200: reply('the same registration, retried', 'Registered'),
              400: bad,
              409: reply('the id exists with different details'),
              503: unavailable,
            },
          },
          false,
        ),
      },
      '/api/sessions/{id}': {
        get: api({
          summary: 'the stored session and its live workflow state',
          responses: { 200: reply('the session', 'SessionDetail'), 404: unknown },
        }),
      },
      '/api/sessions/{id}/presence': {
        get: api({
          summary: 'who is in the room now',
          responses: { 200: reply('live presence', 'Presence'), 404: unknown, 503: unavailable },
        }),
      },
      '/api/sessions/{id}/attendance': {
        get: api({
          summary: 'calculated attendance per person; `Accept: text/csv` for CSV',
          responses: {
            200: {
              description: 'attendance (people empty and calculatedAt null until calculated)',
              content: {
                'application/json': { schema: ref('AttendanceReport') },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            404: unknown,
          },
        }),
      },
      '/api/sessions/{id}/attendance.csv': {
        get: api({
          summary: 'calculated attendance as CSV, one row per person',
          responses: { 200: text('RFC 4180 CSV with a header row', 'text/csv'), 404: unknown },
        }),
      },
      '/api/sessions/{id}/end': {
        post: api({
          summary: 'end the meeting now (or at `at`); the final calculation follows after the grace delay',
          requestBody: body('EndSession', false),
          responses: { 202: reply('the workflow summary', 'SessionState'), 400: bad, 404: unknown, 503: unavailable },
        }),
      },
      '/api/sessions/{id}/recalculate': {
        post: api({
          summary: 'recalculate from the event log; answers once persisted',
          responses: { 200: reply('the workflow summary', 'SessionState'), 404: unknown, 503: unavailable },
        }),
      },
      '/api/sessions/{id}/viewer-link': {
        post: api({
          summary:
            "a link to the session's live page with a signed, expiring, read-only token for this session's stream and CSV only",
          responses: {
            201: {
              description: 'the link; the token travels in its fragment',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      url: { type: 'string' },
                      path: { type: 'string' },
                      token: { type: 'string' },
                      expiresAt: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            },
            404: unknown,
            415: notJson,
          },
        }),
      },
      '/api/dead-letters': {
        get: api(
          {
            summary:
              'well-signed webhooks that failed validation, newest first, a page at a time; bodies cut to 4,096 characters',
            parameters: [
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
              {
                name: 'before',
                in: 'query',
                description: 'an id: only older dead letters',
                schema: { type: 'integer', minimum: 1 },
              },
            ],
            responses: {
              200: {
                description: '`{deadLetters: [{id, provider, reason, body, bodyBytes, truncated, receivedAt}], next}`',
              },
              400: bad,
            },
          },
          false,
        ),
      },
      '/api/dead-letters/{id}': {
        get: api(
          {
            summary: 'one dead letter with its whole body',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
            responses: {
              200: { description: '`{id, provider, reason, body, bodyBytes, truncated: false, receivedAt}`' },
              404: reply('no such dead letter'),
            },
          },
          false,
        ),
      },
      '/codec/decode': { post: codec('decode') },
      '/codec/encode': { post: codec('encode') },
      '/api/users': {
        put: api(
          {
            summary: 'bulk upsert of the matching directory (all or nothing)',
            requestBody: body('Users'),
            responses: {
              200: reply('how many users were written', 'Upserted'),
              400: bad,
              409: reply('an email belongs to another user'),
            },
          },
          false,
        ),
      },
      '/api/zoom/report-sync': {
        post: api(
          {
            summary: "start a workflow that imports Zoom's participant report",
            requestBody: body('ReportSync'),
            responses: { 202: { description: 'report-sync workflow started' }, 400: bad, 503: unavailable },
          },
          false,
        ),
      },
      '/healthz': { get: { summary: 'the process answers', security: [], responses: { 200: { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Temporal and PostgreSQL are reachable',
          security: [],
          responses: { 200: { description: 'ready' }, 503: { description: 'not ready, with the failing checks' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { 200: text('Prometheus text format', 'text/plain') },
        },
      },
      '/openapi.json': {
        get: { summary: 'this document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}

/** GET /openapi.json, outside /api: no token needed to read the contract. Built once, on first request. */
export function openApiRoutes(): Router {
  let document: ReturnType<typeof buildDocument> | undefined;
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    document ??= buildDocument();
    res.json(document);
  });
  return router;
}
