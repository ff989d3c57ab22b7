import type { RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isProvider } from '../domain/index.js';
import type { Logger } from '../logger.js';

/** Why a provider webhook got its answer; `accepted` means its facts are committed. */
export type WebhookOutcome =
  'accepted' | 'ignored' | 'url_validation' | 'unauthorized' | 'invalid' | 'unavailable' | 'error';

/** What a webhook route knows about a 2xx answer that its status code does not say. */
export interface WebhookNote {
  outcome: 'accepted' | 'ignored' | 'url_validation';
  events?: number;
  /** Facts new to the store (a provider's retry stores none). */
  stored?: number;
}

export function noteWebhook(res: Response, note: WebhookNote): void {
  res.locals.webhook = note;
}

function outcomeOf(res: Response): WebhookOutcome {
  const status = res.statusCode;
  if (status < 300) return (res.locals.webhook as WebhookNote | undefined)?.outcome ?? 'accepted';
  if (status === 401) return 'unauthorized';
  if (status === 503) return 'unavailable';
  // 400 malformed payload, 413 too large, 415 and friends: the provider sent something we cannot use.
  return status < 500 ? 'invalid' : 'error';
}

export interface ApiMetrics {
  registry: Registry;
  /** Middleware for the webhook routes: counts and logs each answered webhook by provider and outcome. */
  observeWebhooks: RequestHandler;
  /** Times the relay's signalWithStart round trips. */
  timeSignal: <T>(signal: Promise<T>) => Promise<T>;
  /** Counts a live feed's read of its session (one per session per tick, however many viewers). */
  liveFeedTick: () => void;
  presenceQuery: () => void;
  /** GET /metrics in the Prometheus text format. */
  serve: RequestHandler;
}

/** The API process's metrics, in a registry of its own (several apps in one test process stay apart). */
/** `relayBacklog`: how many stored facts wait for the relay, read when scraped. */
export function createApiMetrics(logger: Logger, relayBacklog: () => Promise<number>): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const webhooks = new Counter({
    name: 'rollcall_webhooks_total',
    help: 'Provider webhooks answered, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const signalLatency = new Histogram({
    name: 'rollcall_signal_latency_seconds',
    help: 'signalWithStart round trip from the relay to Temporal',
    labelNames: ['outcome'] as const,
    // The relay gives a signal 5 s.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });

  new Gauge({
    name: 'rollcall_relay_backlog_facts',
    help: 'Stored facts not yet delivered to their sessions by the relay (grows while Temporal is down or slow)',
    registers: [registry],
    async collect() {
      this.set(await relayBacklog().catch(() => Number.NaN));
    },
  });
  const liveFeedTicks = new Counter({
    name: 'rollcall_live_feed_ticks_total',
    help: 'Reads of a session by its live feed (one per session per tick, shared by all its viewers)',
    registers: [registry],
  });

  const presenceQueries = new Counter({
    name: 'rollcall_presence_queries_total',
    help: 'Presence queries sent to session workflows (one per followed session per refresh, however many callers)',
    registers: [registry],
  });

  return {
    registry,
    liveFeedTick: () => liveFeedTicks.inc(),
    presenceQuery: () => presenceQueries.inc(),
    observeWebhooks: (req, res, next) => {
      const provider = req.path.slice(1);
      // Bounds the `provider` label: any other path under /webhooks is a 404, not a provider.
      if (!isProvider(provider)) return next();
      const started = performance.now();
      res.on('finish', () => {
        const outcome = outcomeOf(res);
        webhooks.inc({ provider, outcome });
        // The note adds the session and workflow ids of an accepted webhook.
        const fields = {
          ...(res.locals.webhook as WebhookNote | undefined),
          outcome,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        };
        const log = logger.child({ provider });
        if (res.statusCode < 300) log.info(fields, 'webhook');
        else log.warn(fields, 'webhook refused');
      });
      next();
    },
    timeSignal: (signal) => {
      const end = signalLatency.startTimer();
      signal.then(
        () => end({ outcome: 'ok' }),
        () => end({ outcome: 'error' }),
      );
      return signal;
    },
    serve: async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  };
}
