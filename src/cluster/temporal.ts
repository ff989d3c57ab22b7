/**
 * Temporal for cluster mode: the schema (temporal-sql-tool, from the release's own schema files), the server
 * (temporal-server with docker/temporal/config/rollcall.yaml, the file docker-compose.yml mounts), and the
 * namespace with Rollcall's search attributes — ready only once a workflow start that sets every attribute has
 * succeeded, since a freshly added attribute is refused ("no mapping defined for search attribute") until the
 * frontend's caches refresh.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import {
  ProviderAttr,
  ParticipantCountAttr,
  RoomAttr,
  SessionIdAttr,
  SessionStatusAttr,
} from '../workflows/search-attributes.js';
import { runCommand, type Binaries } from './binaries.js';
import type { ClusterDatabases } from './postgres.js';

/** docker/temporal/config: the server config and dynamic config shared with docker-compose.yml. */
export const SERVER_CONFIG_DIR = fileURLToPath(new URL('../../docker/temporal/config', import.meta.url));

/** Per service (four in the one process) and store; the same values docker-compose.yml sets. */
export const SQL_MAX_CONNS = 10;
export const SQL_VIS_MAX_CONNS = 5;
export const TEMPORAL_SERVICES = 4;

export interface ServerPorts {
  grpc: number;
  http: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
const SEARCH_ATTRIBUTES: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SessionIdAttr.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [ProviderAttr.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [RoomAttr.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SessionStatusAttr.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [ParticipantCountAttr.name]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { code, output } = await runCommand(command, args, env);
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (code ${code}):\n${output.split('\n').slice(-15).join('\n')}`);
  return output;
}

/** Versioning tables, then every schema version the release ships that the database does not have yet. Idempotent. */
export async function applySchema(binaries: Binaries, db: ClusterDatabases): Promise<void> {
  for (const [database, schema] of [
    [db.temporal.database, 'temporal'],
    [db.temporal.visibilityDatabase, 'visibility'],
  ] as const) {
    const env = {
      ...process.env,
      SQL_HOST: db.temporal.host,
      SQL_PORT: String(db.temporal.port),
      SQL_USER: db.temporal.user,
      SQL_PASSWORD: db.temporal.password,
      SQL_DATABASE: database,
    };
    await run(binaries.sqlTool, ['--plugin', 'postgres12', 'setup-schema', '-v', '0.0'], env);
    await run(
      binaries.sqlTool,
      ['--plugin', 'postgres12', 'update-schema', '-d', `${binaries.schemaDir}/${schema}/versioned`],
      env,
    );
  }
}

/** The environment docker/temporal/config/rollcall.yaml is rendered with. */
export function serverEnv(db: ClusterDatabases, ports: ServerPorts, logLevel: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    POSTGRES_SEEDS: db.temporal.host,
    DB_PORT: String(db.temporal.port),
    POSTGRES_USER: db.temporal.user,
    POSTGRES_PWD: db.temporal.password,
    DBNAME: db.temporal.database,
    VISIBILITY_DBNAME: db.temporal.visibilityDatabase,
    SQL_MAX_CONNS: String(SQL_MAX_CONNS),
    SQL_VIS_MAX_CONNS: String(SQL_VIS_MAX_CONNS),
    BIND_ON_IP: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.grpc),
    FRONTEND_HTTP_PORT: String(ports.http),
    HISTORY_GRPC_PORT: String(ports.history),
    MATCHING_GRPC_PORT: String(ports.matching),
    WORKER_GRPC_PORT: String(ports.worker),
    FRONTEND_MEMBERSHIP_PORT: String(ports.membership.frontend),
    HISTORY_MEMBERSHIP_PORT: String(ports.membership.history),
    MATCHING_MEMBERSHIP_PORT: String(ports.membership.matching),
    WORKER_MEMBERSHIP_PORT: String(ports.membership.worker),
    DYNAMIC_CONFIG_FILE_PATH: `${SERVER_CONFIG_DIR}/dynamicconfig.yaml`,
    LOG_LEVEL: logLevel,
  };
}

/** `temporal-server` arguments: the shared config dir, `rollcall.yaml`, every service. */
export function serverArgs(): string[] {
  return ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', 'rollcall', '--allow-no-auth', 'start'];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const grpcCode = (error: unknown) => (error as { code?: number }).code;
const ALREADY_EXISTS = 6;

/**
 * The namespace and Rollcall's search attributes, whatever already exists left alone; returns once a workflow
 * start setting every attribute succeeds (measured: how long that took after the last change).
 */
export async function setupNamespace(
  address: string,
  namespace: string,
  retentionDays: number,
  say: (line: string) => void,
): Promise<{ probeMs: number; probes: number }> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const deadline = Date.now() + 120_000;
    const retry = async <T>(what: string, attempt: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await attempt();
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
          await sleep(500);
        }
      }
    };
    await retry(`namespace ${namespace}`, async () => {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${retentionDays}d`),
        });
        say(`namespace ${namespace} registered (retention ${retentionDays} days)`);
      } catch (error) {
        if (grpcCode(error) !== ALREADY_EXISTS) throw error;
      }
      await connection.workflowService.describeNamespace({ namespace });
    });
    await retry('search attributes', async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (customAttributes ?? {}))),
      );
      if (Object.keys(missing).length === 0) return;
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
        say(`search attributes added: ${Object.keys(missing).join(', ')}`);
      } catch (error) {
        if (grpcCode(error) !== ALREADY_EXISTS) throw error;
      }
      throw new Error('added; checking again');
    });
    // The real test: a start that sets every attribute, as the API's registration does. Deleted right after.
    const client = new Client({ connection, namespace });
    const started = Date.now();
    let probes = 0;
    await retry('a workflow start with every search attribute', async () => {
      probes += 1;
      const workflowId = `rollcall-setup-probe-${randomUUID()}`;
      const handle = await client.workflow.start('rollcallSetupProbe', {
        workflowId,
        taskQueue: 'rollcall-setup-probe',
        typedSearchAttributes: [
          { key: SessionIdAttr, value: 'setup-probe' },
          { key: ProviderAttr, value: 'zoom' },
          { key: RoomAttr, value: 'setup-probe' },
          { key: SessionStatusAttr, value: 'scheduled' },
          { key: ParticipantCountAttr, value: 0 },
        ],
      });
      await connection.workflowService
        .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId: handle.firstExecutionRunId } })
        .catch(() => undefined);
    });
    return { probeMs: Date.now() - started, probes };
  } finally {
    await connection.close();
  }
}
