import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';

/**
 * Workflow histories: fetched from Temporal, kept as JSON fixtures, replayed against workflow code to catch
 * non-determinism. Shared by `rollcall replay` and the test suite's replay guard.
 *
 * JSON uses the proto classes' own toObject/fromObject: the SDK's historyToJSON/historyFromJSON use a second
 * copy of protobufjs in this dependency tree and refuse these classes ("type must be a Type").
 */
const { History } = proto.temporal.api.history.v1;
const JSON_FORM = { longs: String, enums: String, bytes: String, defaults: false } as const;

export type WorkflowHistory = proto.temporal.api.history.v1.IHistory;

export function historyToJson(history: WorkflowHistory): string {
  return `${JSON.stringify(History.toObject(History.fromObject(history), JSON_FORM), null, 1)}\n`;
}

export function historyFromJson(text: string): WorkflowHistory {
  return History.fromObject(JSON.parse(text) as object);
}

export interface RunHistory {
  workflowId: string;
  runId: string;
  startTime: Date;
  history: WorkflowHistory;
}

/**
 * Every run recorded under a workflow id, oldest first: its continue-as-new chain and any later runs (a
 * finished session restarted by a recalculation or a late event). The latest run is asked for directly
 * too, so a run that visibility has not indexed yet is not missed.
 */
export async function fetchRunHistories(client: Client, workflowId: string): Promise<RunHistory[]> {
  const runs = new Map<string, Date>();
  for await (const execution of client.workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` }))
    runs.set(execution.runId, execution.startTime);
  try {
    const latest = await client.workflow.getHandle(workflowId).describe();
    runs.set(latest.runId, latest.startTime);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  const ordered = [...runs].sort(([, a], [, b]) => a.getTime() - b.getTime());
  const histories: RunHistory[] = [];
  for (const [runId, startTime] of ordered) {
    histories.push({
      workflowId,
      runId,
      startTime,
      history: await client.workflow.getHandle(workflowId, runId).fetchHistory(),
    });
  }
  return histories;
}
