/**
 * docker-compose.yml and cluster mode run Temporal from one config (docker/temporal/config/rollcall.yaml) with the
 * same pool sizes, and compose's connection budget fits PostgreSQL's max_connections. No Docker here: the
 * compose file is parsed, not run.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_CONFIG_DIR, SQL_MAX_CONNS, SQL_VIS_MAX_CONNS, TEMPORAL_SERVICES } from '../../src/cluster/temporal.js';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../../src/workflows/search-attributes.js';

// js-yaml comes with ESLint; it has no types of its own here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load: (text: string) => unknown };
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface Service {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = yaml.load(readFileSync(root('docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const service = (name: string) => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a ${name} service`);
  return found;
};

/** Each Rollcall process's pool (src/db/pool.ts default). */
const ROLLCALL_POOL = 10;
/** PostgreSQL's superuser_reserved_connections default. */
const SUPERUSER_RESERVED = 3;

describe('docker-compose.yml and cluster mode', () => {
  it('run temporal-server with the one config file, through start-server.sh', () => {
    const temporal = service('temporal');
    assert.ok(temporal.volumes?.includes('./docker/temporal:/etc/temporal/rollcall:ro'), 'docker/temporal is mounted');
    assert.deepEqual(temporal.entrypoint, ['/bin/sh', '/etc/temporal/rollcall/start-server.sh']);
    const script = readFileSync(root('docker/temporal/start-server.sh'), 'utf8');
    assert.match(script, /--config etc\/temporal\/rollcall\/config --env rollcall/);
    assert.equal(SERVER_CONFIG_DIR, root('docker/temporal/config'), 'cluster mode reads the same folder');
    const config = readFileSync(root('docker/temporal/config/rollcall.yaml'), 'utf8');
    assert.equal(config.split('\n')[0], '# enable-template', 'the server renders it as a template');
    assert.ok(existsSync(root('docker/temporal/config/dynamicconfig.yaml')));
  });

  it('size the SQL pools alike, and compose stays within max_connections', () => {
    const env = service('temporal').environment ?? {};
    assert.equal(Number(env.SQL_MAX_CONNS), SQL_MAX_CONNS, 'SQL_MAX_CONNS as in cluster mode');
    assert.equal(Number(env.SQL_VIS_MAX_CONNS), SQL_VIS_MAX_CONNS, 'SQL_VIS_MAX_CONNS as in cluster mode');
    const command = service('postgres').command ?? [];
    const setting = command.find((arg) => arg.startsWith('max_connections='));
    assert.ok(setting, 'postgres states max_connections');
    const max = Number(setting.split('=')[1]);
    // The worker, the API and the one-shot migrate (which may overlap a restart of the others) at their maxima.
    const total =
      TEMPORAL_SERVICES * (SQL_MAX_CONNS + SQL_VIS_MAX_CONNS) + ['worker', 'api', 'migrate'].length * ROLLCALL_POOL;
    assert.ok(total <= max - SUPERUSER_RESERVED, `${total} connections at most, ${max - SUPERUSER_RESERVED} available`);
  });

  it("register exactly the workflows' search attributes", () => {
    const script = readFileSync(root('docker/temporal/setup-namespace.sh'), 'utf8');
    const declared = /^ATTRIBUTES="([^"]+)"$/m.exec(script)?.[1]?.split(' ');
    assert.deepEqual(declared, SEARCH_ATTRIBUTE_DECLARATIONS);
    assert.match(script, /workflow start .*--task-queue/, 'setup waits for a start that sets them');
  });
});
