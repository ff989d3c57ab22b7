import { Command, InvalidArgumentError, Option } from 'commander';
import { presentState } from '../../sessions/views.js';
import { recalculateSession } from '../../sessions/workflow-client.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { getSession, sessionsEndedSince, type SessionRow } from '../../db/sessions.js';
import { DAY_MS } from '../../domain/time.js';
import type { SessionSummary } from '../../workflows/messages.js';
import { action, CliError, errorMessage, EXIT, say, type CliContext } from '../context.js';
import { formatSummaryLine } from '../format.js';
import { Progress } from '../progress.js';

/** Per session: the calculation activity reads the whole event log, which takes a while for a large class. */
const BUDGET_MS = 120_000;

/** `--since 7` (days) or a duration as configuration takes it (`36h`, `2d`). */
function parseSince(text: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * DAY_MS : parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a number of days (7) or a duration (36h, 2d)');
  return ms;
}

function parseConcurrency(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new InvalidArgumentError('expected an integer 1-64');
  return value;
}

interface Options {
  since?: number;
  force?: boolean;
  concurrency: number;
  json?: boolean;
}

/** The API's recalculation (update-with-start): a finished session gets a new run that recalculates at once. */
function recalculate(ctx: CliContext, row: SessionRow): Promise<SessionSummary> {
  return ctx.call(BUDGET_MS, `recalculating session ${row.id}`, () =>
    recalculateSession(ctx.temporal(), ctx.config, row),
  );
}

async function one(ctx: CliContext, sessionId: string, json: boolean): Promise<void> {
  const row = await getSession(ctx.database(), sessionId);
  if (!row) throw new CliError(`no session ${sessionId}`);
  const summary = await recalculate(ctx, row);
  say(
    json ? JSON.stringify(presentState(summary), null, 2) : `recalculated ${sessionId}: ${formatSummaryLine(summary)}`,
  );
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function many(ctx: CliContext, options: Options & { since: number }): Promise<number> {
  const sessions = await sessionsEndedSince(ctx.database(), Date.now() - options.since, options.force ?? false);
  const window = `in the last ${formatDuration(options.since)}`;
  if (sessions.length === 0) {
    say(options.json ? '[]' : `no sessions ${options.force ? 'ended' : 'awaiting calculation that ended'} ${window}`);
    return EXIT.ok;
  }
  const progress = new Progress('recalculating', sessions.length);
  const results: Array<{ id: string; ok: boolean; state?: ReturnType<typeof presentState>; error?: string }> = [];
  await forEachLimited(sessions, options.concurrency, async (row, index) => {
    try {
      const summary = await recalculate(ctx, row);
      results[index] = { id: row.id, ok: true, state: presentState(summary) };
      if (!options.json) progress.log(`ok      ${row.id}  ${formatSummaryLine(summary)}`);
      progress.tick(true);
    } catch (error) {
      results[index] = { id: row.id, ok: false, error: errorMessage(error, ctx.config) };
      if (!options.json) progress.log(`FAILED  ${row.id}  ${results[index].error}`);
      progress.tick(false);
    }
  });
  const { failed, seconds } = progress.finish();
  if (options.json) say(JSON.stringify(results, null, 2));
  else
    say(
      `recalculated ${sessions.length - failed} of ${sessions.length} session(s) that ended ${window}, in ${seconds.toFixed(1)} s${failed ? `; ${failed} failed` : ''}`,
    );
  return failed ? EXIT.failed : EXIT.ok;
}

export function recalculateCommand(): Command {
  return new Command('recalculate')
    .description(
      'recalculate attendance from the stored event log: one session, or every session that ended in the last N days',
    )
    .argument('[sessionId]', 'the session to recalculate (always recalculated, whatever its status)')
    .addOption(
      new Option(
        '--since <days>',
        'every session whose meeting (else scheduled) end lies in the last <days> days; also 36h, 2d',
      ).argParser(parseSince),
    )
    .option('--force', "with --since: also sessions already 'calculated' (default: only those not yet calculated)")
    .addOption(
      new Option('--concurrency <n>', 'with --since: sessions recalculated at once')
        .argParser(parseConcurrency)
        .default(4),
    )
    .option('--json', 'print the result(s) as JSON')
    .action(
      action(async (ctx, sessionId: string | undefined, options: Options, command: Command) => {
        // `recalculate --since 7 days` reads as it is said: a trailing "days" is the unit, not a session id.
        const id =
          options.since !== undefined && sessionId !== undefined && /^days?$/.test(sessionId) ? undefined : sessionId;
        if ((id === undefined) === (options.since === undefined))
          command.error('error: give either a session id or --since <days>', { exitCode: EXIT.usage });
        if (options.since !== undefined) return many(ctx, { ...options, since: options.since });
        await one(ctx, id!, options.json ?? false);
      }),
    );
}
