/**
 * The lists the code keeps (PROVIDERS, SESSION_PHASES, ATTENDANCE_STATUSES) and the CHECK constraints of the migrated database say the
 * same: a provider or a phase added on one side only fails here, not at the first insert in production.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from '../../src/db/pool.js';
import { ATTENDANCE_STATUSES, PROVIDERS, SESSION_PHASES } from '../../src/domain/index.js';
import { testConfig } from '../support/system.js';

describe('CHECK constraints of the database', () => {
  let pool: Pool;
  before(() => {
    pool = createPool(testConfig().databaseUrl!);
  });
  after(() => pool.end());

  /** Each table's CHECK on `column` alone, as the list of values it allows (in the order it names them). */
  async function allowedValues(column: string): Promise<Map<string, string[]>> {
    const { rows } = await pool.query<{ table: string; definition: string }>(
      `SELECT c.conrelid::regclass::text AS table, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
       WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND a.attname = $1 AND c.connamespace = 'public'::regnamespace`,
      [column],
    );
    return new Map(
      rows.map(({ table, definition }) => [table, [...definition.matchAll(/'([^']*)'/g)].map((m) => m[1]!)]),
    );
  }

  /** Every table (not view) with a column of this name. */
  async function tablesWith(column: string): Promise<string[]> {
    const { rows } = await pool.query<{ table: string }>(
      `SELECT table_name AS table FROM information_schema.columns JOIN information_schema.tables USING (table_schema, table_name)
       WHERE table_schema = 'public' AND column_name = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [column],
    );
    return rows.map((row) => row.table);
  }

  it('every provider column allows exactly PROVIDERS', async () => {
    const checks = await allowedValues('provider');
    const tables = await tablesWith('provider');
    assert.ok(tables.length >= 3, `provider columns in ${tables.join(', ')}`);
    for (const table of tables) assert.deepEqual(checks.get(table), [...PROVIDERS], `${table}.provider`);
  });

  it('sessions.status allows exactly SESSION_PHASES, session_reports.status ATTENDANCE_STATUSES', async () => {
    const checks = await allowedValues('status');
    assert.deepEqual(checks.get('sessions'), [...SESSION_PHASES]);
    assert.deepEqual(checks.get('session_reports'), [...ATTENDANCE_STATUSES]);
  });
});
