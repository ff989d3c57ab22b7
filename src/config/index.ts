import { z } from 'zod';
import { MINUTE_MS } from '../domain/time.js';
import { parseDuration } from './duration.js';
import { parsePayloadKeys, type PayloadKey } from './payload-keys.js';

/** A start-up setting that is missing or malformed; the message names the variable and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m or 2h, got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

const integer = (fallback: number, min: number, max: number, what: string) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} ${min}-${max}, got "${text}"` });
        return z.NEVER;
      }
      return value;
    });

const port = (fallback: number) => integer(fallback, 0, 65_535, 'a port number');

const httpUrl = z
  .url({ protocol: /^https?$/, error: (issue) => `expected an http(s) URL, got "${String(issue.input)}"` })
  .optional();

const postgresUrl = optionalText.pipe(
  z
    .url({ protocol: /^postgres(ql)?$/, error: (issue) => `expected a postgres:// URL, got "${String(issue.input)}"` })
    .optional(),
);

/** An interface address or host name to listen on. */
const host = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const value = text.trim();
      if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9.-]{0,253}))$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected an interface address or host name (e.g. 127.0.0.1, 0.0.0.0, ::1), got "${text}"`,
        });
        return z.NEVER;
      }
      return value.replace(/^\[(.*)\]$/, '$1');
    });

const payloadKeys = optionalText.transform((text, ctx) => {
  if (text === undefined) return undefined;
  const parsed = parsePayloadKeys(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** Every configuration variable (see the README's table). */
const schema = z
  .object({
    PORT: port(3000),
    HOST: host('127.0.0.1'),
    METRICS_HOST: host('127.0.0.1'),
    PAYLOAD_ENCRYPTION_KEY: payloadKeys,
    VIEWER_LINK_SECRET: optionalText.pipe(z.string().min(16, 'expected at least 16 characters').optional()),
    VIEWER_LINK_TTL: duration('12h'),
    DATABASE_URL: postgresUrl,
    DATA_DIR: z.string().default('.data'),
    TEMPORAL_ADDRESS: optionalText,
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('rollcall'),
    TEMPORAL_REPORT_SYNC_TASK_QUEUE: optionalText,
    TEMPORAL_CLI_PATH: optionalText,
    TEMPORAL_UI_PORT: port(8233),
    TEMPORAL_UI_URL: optionalText.pipe(httpUrl),
    API_TOKEN: optionalText,
    ZOOM_WEBHOOK_SECRET_TOKEN: optionalText,
    ZOOM_ACCOUNT_ID: optionalText,
    ZOOM_CLIENT_ID: optionalText,
    ZOOM_CLIENT_SECRET: optionalText,
    ZOOM_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.zoom.us'),
    ZOOM_OAUTH_URL: z.url({ protocol: /^https?$/ }).default('https://zoom.us/oauth/token'),
    ZOOM_REPORT_SYNC_DELAY: duration('30m'),
    LIVEKIT_API_KEY: optionalText,
    LIVEKIT_API_SECRET: optionalText,
    LIVEKIT_URL: optionalText.pipe(
      z
        .url({
          protocol: /^(https?|wss?)$/,
          error: (issue) => `expected the LiveKit server URL (https:// or wss://), got "${String(issue.input)}"`,
        })
        .optional(),
    ),
    CALCULATION_DELAY: duration('5m'),
    LATE_EVENT_WINDOW: duration('2h'),
    RECONCILE_INTERVAL: duration('2m'),
    SESSION_EARLY_JOIN: duration('30m'),
    SESSION_MAX_OVERRUN: duration('2h'),
    CONTINUE_AS_NEW_EVENTS: integer(1_000, 500, 40_000, 'a number of history events'),
    ATTENDANCE_POLICY: z.enum(['percentage', 'minimum-duration']).default('percentage'),
    GRACE_PERIOD: duration('15m'),
    MINIMUM_DURATION: duration('15m'),
    REPORT_WEBHOOK_URL: optionalText.pipe(httpUrl),
    REPORT_WEBHOOK_SECRET: optionalText,
    WORKER_METRICS_PORT: port(9464),
    SDK_METRICS_PORT: port(9465),
    BACKGROUND_NICE: integer(10, 0, 19, 'a CPU priority offset'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.LIVEKIT_API_KEY) !== Boolean(env.LIVEKIT_API_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['LIVEKIT_API_SECRET'],
        message: 'LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set together',
      });
    }
    if (env.REPORT_WEBHOOK_URL && !env.REPORT_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPORT_WEBHOOK_SECRET'],
        message: 'required when REPORT_WEBHOOK_URL is set (reports are signed)',
      });
    }
  });

type Env = z.output<typeof schema>;

export interface Config {
  port: number;
  /** The interface the API listens on; anything but loopback requires apiToken (checked when it listens). */
  host: string;
  /** The interface of the worker's two metrics endpoints. */
  metricsHost: string;
  /** Workflow payload keys: the first encrypts, any decrypts; undefined = payloads stored unencrypted. */
  payloadKeys?: PayloadKey[];
  /** Signs the live page's viewer links; unset = derived from apiToken (or a random per-process key without one). */
  viewerLinkSecret?: string;
  viewerLinkTtlMs: number;
  databaseUrl?: string;
  dataDir: string;
  /**
   * taskQueue: session workflows and the rest; reportSyncTaskQueue: report sync workflows and their activities, so
   * a sync never waits behind the session workflows it is feeding. uiUrl: the Temporal Web UI that deep links point
   * at (no trailing slash).
   */
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    reportSyncTaskQueue: string;
    cliPath?: string;
    uiPort: number;
    uiUrl: string;
  };
  apiToken?: string;
  /** oauthUrl: the server-to-server token endpoint; reportSyncDelayMs: wait after a session's final calculation before syncing its report (Zoom needs time to build it). */
  zoom: {
    webhookSecret?: string;
    accountId?: string;
    clientId?: string;
    clientSecret?: string;
    apiBaseUrl: string;
    oauthUrl: string;
    reportSyncDelayMs: number;
  };
  livekit: { apiKey?: string; apiSecret?: string; url?: string };
  timings: {
    calculationDelayMs: number;
    lateEventWindowMs: number;
    reconcileIntervalMs: number;
    earlyJoinMs: number;
    maxOverrunMs: number;
  };
  defaultPolicy: { kind: 'percentage'; graceMinutes: number } | { kind: 'minimum-duration'; minutes: number };
  /** A session's workflow run continues as new by this history length at the latest. */
  continueAsNewEvents: number;
  reportWebhook?: { url: string; secret: string };
  /** The worker's Prometheus endpoints: its own metrics, and the Temporal SDK's; 0 turns one off. */
  workerMetricsPort: number;
  sdkMetricsPort: number;
  /**
   * How much lower the CPU priority (nice) of the Temporal server and the workers is than the API's, where
   * `npm start` and `npm run cluster` run them on one machine: a webhook's ack never queues for a CPU behind the
   * work that follows it. 0 turns it off.
   */
  backgroundNice: number;
  logLevel: Env['LOG_LEVEL'];
}

function toConfig(env: Env): Config {
  return {
    port: env.PORT,
    host: env.HOST,
    metricsHost: env.METRICS_HOST,
    payloadKeys: env.PAYLOAD_ENCRYPTION_KEY,
    viewerLinkSecret: env.VIEWER_LINK_SECRET,
    viewerLinkTtlMs: env.VIEWER_LINK_TTL,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      reportSyncTaskQueue: env.TEMPORAL_REPORT_SYNC_TASK_QUEUE ?? `${env.TEMPORAL_TASK_QUEUE}-report-sync`,
      cliPath: env.TEMPORAL_CLI_PATH,
      uiPort: env.TEMPORAL_UI_PORT,
      uiUrl: (env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
    },
    apiToken: env.API_TOKEN,
    zoom: {
      webhookSecret: env.ZOOM_WEBHOOK_SECRET_TOKEN,
      accountId: env.ZOOM_ACCOUNT_ID,
      clientId: env.ZOOM_CLIENT_ID,
      clientSecret: env.ZOOM_CLIENT_SECRET,
      apiBaseUrl: env.ZOOM_API_BASE_URL,
      oauthUrl: env.ZOOM_OAUTH_URL,
      reportSyncDelayMs: env.ZOOM_REPORT_SYNC_DELAY,
    },
    livekit: { apiKey: env.LIVEKIT_API_KEY, apiSecret: env.LIVEKIT_API_SECRET, url: env.LIVEKIT_URL },
    timings: {
      calculationDelayMs: env.CALCULATION_DELAY,
      lateEventWindowMs: env.LATE_EVENT_WINDOW,
      reconcileIntervalMs: env.RECONCILE_INTERVAL,
      earlyJoinMs: env.SESSION_EARLY_JOIN,
      maxOverrunMs: env.SESSION_MAX_OVERRUN,
    },
    defaultPolicy:
      env.ATTENDANCE_POLICY === 'percentage'
        ? { kind: 'percentage', graceMinutes: env.GRACE_PERIOD / MINUTE_MS }
        : { kind: 'minimum-duration', minutes: env.MINIMUM_DURATION / MINUTE_MS },
    continueAsNewEvents: env.CONTINUE_AS_NEW_EVENTS,
    backgroundNice: env.BACKGROUND_NICE,
    reportWebhook:
      env.REPORT_WEBHOOK_URL && env.REPORT_WEBHOOK_SECRET
        ? { url: env.REPORT_WEBHOOK_URL, secret: env.REPORT_WEBHOOK_SECRET }
        : undefined,
    workerMetricsPort: env.WORKER_METRICS_PORT,
    sdkMetricsPort: env.SDK_METRICS_PORT,
    logLevel: env.LOG_LEVEL,
  };
}

/** Variables whose values are secrets: never repeated in a message. */
export const SECRET_VARIABLES = [
  'API_TOKEN',
  'PAYLOAD_ENCRYPTION_KEY',
  'VIEWER_LINK_SECRET',
  'ZOOM_WEBHOOK_SECRET_TOKEN',
  'ZOOM_CLIENT_SECRET',
  'LIVEKIT_API_SECRET',
  'REPORT_WEBHOOK_SECRET',
] as const;

/** A URL's password (`scheme://user:password@host`), also in a string that does not parse as a URL. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*:)[^\s"]*@/gi;

/** Text with URL passwords masked and the values of secret variables replaced, for messages and logs. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = {}): string {
  // Also `user:password@host` without a well-formed scheme, as a malformed URL may hold it.
  let redacted = text.replace(URL_PASSWORD, '$1***@').replace(/(\b[^\s"/:@]+:)[^\s"/@*]+@/g, '$1***@');
  for (const name of SECRET_VARIABLES) {
    const value = env[name]?.trim();
    if (value && value.length >= 4) redacted = redacted.split(value).join('[redacted]');
  }
  return redacted;
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable (secrets redacted). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${redactSecrets(issue.message, env)}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(parsed.data);
}

/** Loopback names and addresses: where the API may listen without API_TOKEN. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(bare) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(bare)
  );
}

/** Start-up refusal of an open API on a reachable interface: anything but loopback needs API_TOKEN. */
export function assertSafeExposure(config: Pick<Config, 'host' | 'apiToken'>): void {
  if (config.apiToken || isLoopbackHost(config.host)) return;
  throw new ConfigError(
    `Invalid configuration:\n  HOST: "${config.host}" is not a loopback address, and API_TOKEN is unset: the API would be open to the network. Set API_TOKEN, or HOST=127.0.0.1`,
  );
}
