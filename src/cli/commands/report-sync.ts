import { QueryNotRegisteredError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { reportSyncSchema, targetOf, type ReportSyncBody } from '../../schemas/report-sync.js';
import { workflowUiUrl } from '../../infra/temporal-ui.js';
import type { InstanceProgress, ReportSyncProgress, ReportSyncResult } from '../../workflows/report-sync-types.js';
import { startReportSync, zoomApiConfigured } from '../../zoom-api/start.js';
import { action, CliError, EXIT, say, type CliContext } from '../context.js';
import { iso } from '../format.js';
import { StatusLine } from '../progress.js';

interface Options {
  meeting?: string;
  webinar?: string;
  recurring?: boolean;
  instance?: string;
  api?: string;
  wait: boolean;
  json?: boolean;
}

const POLL_MS = 1_000;

/** Through a running API: exactly POST /api/zoom/report-sync, answering the workflow id. */
async function startViaApi(ctx: CliContext, apiUrl: string, body: ReportSyncBody): Promise<string> {
  const response = await fetch(new URL('/api/zoom/report-sync', apiUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(ctx.config.apiToken ? { authorization: `Bearer ${ctx.config.apiToken}` } : {}),
    },
    body: JSON.stringify(body),
  }).catch((error: unknown) => {
    throw new CliError(
      `the API at ${apiUrl} is unreachable (${error instanceof Error ? error.message : String(error)})`,
    );
  });
  const answer = (await response.json().catch(() => ({}))) as { workflowId?: string; error?: string };
  if (response.status !== 202 || !answer.workflowId)
    throw new CliError(`the API answered ${response.status}: ${answer.error ?? JSON.stringify(answer)}`);
  return answer.workflowId;
}

/** Directly on Temporal, as the route does: same check, same target, same workflow id (a running sync is joined). */
async function startDirectly(ctx: CliContext, body: ReportSyncBody): Promise<string> {
  if (!zoomApiConfigured(ctx.config))
    throw new CliError(
      'Zoom API credentials are not configured (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)',
      EXIT.usage,
    );
  return ctx.call(10_000, 'starting the report sync', () =>
    startReportSync(ctx.temporal(), ctx.config, targetOf(body)),
  );
}

function describeProgress({ instances }: Pick<ReportSyncProgress, 'instances'>): string {
  const finished = instances.filter((instance) => instance.status !== 'pending').length;
  const sum = (field: 'pages' | 'rows' | 'delivered') =>
    instances.reduce((total, instance) => total + instance[field], 0);
  return `${finished}/${instances.length} instance(s), ${sum('pages')} page(s), ${sum('rows')} row(s), ${sum('delivered')} event(s) delivered`;
}

const instanceLine = (instance: InstanceProgress) =>
  `${instance.status.padEnd(9)} ${instance.uuid}  started ${iso(instance.startTime)}  pages ${instance.pages}, rows ${instance.rows}, delivered ${instance.delivered}${instance.error ? `  (${instance.error})` : ''}`;

/**
 * Waits for the result, showing the workflow's `progress` query while it runs (when the workflow has one;
 * otherwise the time waited). Ctrl-C stops waiting, not the sync.
 */
async function follow(ctx: CliContext, handle: WorkflowHandle): Promise<ReportSyncResult> {
  const line = new StatusLine();
  const started = Date.now();
  let queryable = true;
  let finished = false;
  const result = handle.result().finally(() => (finished = true)) as Promise<ReportSyncResult>;
  while (!finished) {
    let text = `report sync running for ${Math.round((Date.now() - started) / 1000)} s`;
    if (queryable) {
      try {
        text += `: ${describeProgress(await ctx.call(5_000, 'the progress query', () => handle.query<ReportSyncProgress>('progress')))}`;
      } catch (error) {
        if (error instanceof QueryNotRegisteredError) queryable = false;
        // Anything else (the worker busy, a run continuing as new): try again on the next tick.
      }
    }
    line.show(text);
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
  }
  line.clear();
  return result;
}

export function reportSyncCommand(): Command {
  return new Command('report-sync')
    .description(
      "import Zoom's participant report of a meeting or webinar (as POST /api/zoom/report-sync), showing its progress",
    )
    .addOption(new Option('--meeting <id>', 'a Zoom meeting id').conflicts('webinar'))
    .addOption(new Option('--webinar <id>', 'a Zoom webinar id'))
    .addOption(
      new Option('--recurring', 'every past instance of the series (default: the latest instance)').conflicts(
        'instance',
      ),
    )
    .option('--instance <uuid>', 'one past instance, by its uuid as Zoom gives it')
    .addOption(
      new Option('--api <url>', 'start it through this Rollcall API (else directly on Temporal)').env('API_URL'),
    )
    .option('--no-wait', 'start it and print its workflow id without waiting for the result')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, options: Options, command: Command) => {
        const parsed = reportSyncSchema.safeParse({
          meetingId: options.meeting,
          webinarId: options.webinar,
          recurring: options.recurring ?? false,
          instanceUuid: options.instance,
        });
        if (!parsed.success)
          command.error(
            `error: give --meeting <id> or --webinar <id> (${parsed.error.issues.map((issue) => issue.message).join('; ')})`,
            { exitCode: EXIT.usage },
          );
        const workflowId = options.api
          ? await startViaApi(ctx, options.api, parsed.data)
          : await startDirectly(ctx, parsed.data);
        if (!options.json) say(`report sync ${workflowId} started: ${workflowUiUrl(ctx.config, workflowId)}`);
        if (!options.wait) return options.json ? say(JSON.stringify({ workflowId })) : undefined;

        const result = await follow(ctx, ctx.temporal().workflow.getHandle(workflowId)).catch((error: unknown) => {
          if (error instanceof WorkflowFailedError)
            throw new CliError(`report sync ${workflowId} failed: ${error.cause?.message ?? error.message}`);
          throw error;
        });
        if (options.json) return say(JSON.stringify(result, null, 2));
        for (const instance of result.instances) say(instanceLine(instance));
        say(`synced ${result.kind} ${result.target.id}: ${describeProgress(result)}`);
      }),
    );
}
