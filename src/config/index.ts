import { z } from 'zod';
import { parseDuration } from './duration.js';

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

/** Every configuration variable (see the README's table). */
const schema = z
  .object({
    PORT: port(3000),
    DATABASE_URL: postgresUrl,
    DATA_DIR: z.string().default('.data'),
    TEMPORAL_ADDRESS: optionalText,
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('rollcall'),
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
      z.url({ protocol: /^(https?|wss?)$/, error: (issue) => `expected the LiveKit server URL (https:// or wss://), got "${String(issue.input)}"` }).optional(),
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
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.LIVEKIT_API_KEY) !== Boolean(env.LIVEKIT_API_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['LIVEKIT_API_SECRET'], message: 'LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set together' });
    }
    if (env.REPORT_WEBHOOK_URL && !env.REPORT_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['REPORT_WEBHOOK_SECRET'], message: 'required when REPORT_WEBHOOK_URL is set (reports are signed)' });
    }
  });

type Env = z.output<typeof schema>;

export interface Config {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  /** uiUrl: the Temporal Web UI that deep links point at (no trailing slash). */
  temporal: { address?: string; namespace: string; taskQueue: string; cliPath?: string; uiPort: number; uiUrl: string };
  apiToken?: string;
  /** oauthUrl: the server-to-server token endpoint; reportSyncDelayMs: wait after a session's final calculation before syncing its report (Zoom needs time to build it). */
  zoom: { webhookSecret?: string; accountId?: string; clientId?: string; clientSecret?: string; apiBaseUrl: string; oauthUrl: string; reportSyncDelayMs: number };
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
  logLevel: Env['LOG_LEVEL'];
}

function toConfig(env: Env): Config {
  return {
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
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
        ? { kind: 'percentage', graceMinutes: env.GRACE_PERIOD / 60_000 }
        : { kind: 'minimum-duration', minutes: env.MINIMUM_DURATION / 60_000 },
    continueAsNewEvents: env.CONTINUE_AS_NEW_EVENTS,
    reportWebhook: env.REPORT_WEBHOOK_URL && env.REPORT_WEBHOOK_SECRET ? { url: env.REPORT_WEBHOOK_URL, secret: env.REPORT_WEBHOOK_SECRET } : undefined,
    workerMetricsPort: env.WORKER_METRICS_PORT,
    sdkMetricsPort: env.SDK_METRICS_PORT,
    logLevel: env.LOG_LEVEL,
  };
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(parsed.data);
}
