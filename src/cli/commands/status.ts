import { Command } from 'commander';
import { presentSession } from '../../sessions/views.js';
import { getSession, type SessionRow } from '../../db/sessions.js';
import { workflowUiUrl } from '../../infra/temporal-ui.js';
import { summaryQuery, type SessionSummary } from '../../workflows/messages.js';
import { action, CliError, say, type CliContext } from '../context.js';
import { formatCounts, iso, table } from '../format.js';

/** A finished workflow's query is answered by replay on a worker: allow for that, not for a worker that is down. */
const QUERY_BUDGET_MS = 5_000;

interface WorkflowView {
  status?: string;
  summary: SessionSummary | null;
  /** Why there is no summary (no workflow, Temporal or worker unavailable). */
  missing?: string;
}

async function workflowView(ctx: CliContext, row: SessionRow): Promise<WorkflowView> {
  const handle = ctx.temporal().workflow.getHandle(row.workflowId);
  try {
    const { status } = await ctx.call(QUERY_BUDGET_MS, 'describe', () => handle.describe());
    return {
      status: status.name,
      summary: await ctx.call(QUERY_BUDGET_MS, 'the summary query', () => handle.query(summaryQuery)),
    };
  } catch (error) {
    // The stored row must always be shown; say why the workflow's part is missing instead of failing.
    return { summary: null, missing: error instanceof Error ? error.message : String(error) };
  }
}

function print(ctx: CliContext, row: SessionRow, view: WorkflowView): void {
  const summary = view.summary;
  const rows: Array<[string, string]> = [
    ['Session', row.title ? `${row.id} (${row.title})` : row.id],
    ['Provider', `${row.provider}, room ${row.room}${row.adHoc ? ', ad-hoc' : ''}`],
    ['Scheduled', row.scheduledStart === undefined ? '-' : `${iso(row.scheduledStart)} to ${iso(row.scheduledEnd)}`],
    ['Meeting', `${iso(row.meetingStarted)} to ${iso(row.meetingEnded)}`],
    ['Stored status', row.status],
    ['Roster', `${row.roster.length} people, policy ${row.policy.kind}`],
    ['Workflow', `${row.workflowId}${view.status ? ` (${view.status})` : ''}`],
  ];
  if (summary) {
    rows.push(
      ['Phase', summary.phase],
      [
        'Calculations',
        summary.calculations === 0
          ? summary.calculationDueAt
            ? `none yet, due ${iso(summary.calculationDueAt)}`
            : 'none yet'
          : `${summary.calculations}, last at ${iso(summary.calculatedAt)}`,
      ],
      ['Counts', formatCounts(summary.lastCounts)],
      ['Connections', `${summary.connections} open, ${summary.acceptedEvents} events accepted`],
    );
  } else {
    rows.push(['Summary', `unavailable: ${view.missing ?? 'unknown reason'}`]);
  }
  rows.push(['Temporal UI', workflowUiUrl(ctx.config, row.workflowId)]);
  for (const line of table(rows)) say(line);
}

export function statusCommand(): Command {
  return new Command('status')
    .description(
      "show a session: its stored row, its workflow's summary (phase, calculations, counts) and its Temporal UI link",
    )
    .argument('<sessionId>', 'the session id (its workflow is session-<id>)')
    .option('--json', 'print what GET /api/sessions/:id answers, as JSON')
    .action(
      action(async (ctx, sessionId: string, options: { json?: boolean }) => {
        const row = await getSession(ctx.database(), sessionId);
        if (!row) throw new CliError(`no session ${sessionId}`);
        const view = await workflowView(ctx, row);
        if (options.json) say(JSON.stringify(presentSession(ctx.config, row, view.summary), null, 2));
        else print(ctx, row, view);
      }),
    );
}
