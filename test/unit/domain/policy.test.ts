import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideStatus, percentageOf } from '../../../src/domain/policy.js';
import { latenessOf } from '../../../src/domain/lateness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

test('percentage is rounded down to 2 decimals and capped at 100', () => {
  assert.equal(percentageOf((2 * HOUR) / 3, HOUR), 66.66);
  assert.equal(percentageOf(0.75 * HOUR - 1, HOUR), 74.99);
  assert.equal(percentageOf(HOUR, HOUR), 100);
  assert.equal(percentageOf(0, 0), 0);
});

test('percentage policy: the band above 50 % depends on lateness only', () => {
  const policy = { kind: 'percentage' } as const;
  assert.equal(decideStatus(policy, 0.6 * HOUR, HOUR, false), 'present');
  assert.equal(decideStatus(policy, 0.6 * HOUR, HOUR, true), 'late');
  assert.equal(decideStatus(policy, 0.8 * HOUR, HOUR, true), 'present');
  assert.equal(decideStatus(policy, 0.3 * HOUR, HOUR, false), 'partial');
});

test('an empty window makes everyone absent under the percentage policy', () => {
  assert.equal(decideStatus({ kind: 'percentage' }, 0, 0, false), 'absent');
});

test('late is strictly after start + grace; lateMinutes counts whole minutes from the start', () => {
  assert.deepEqual(latenessOf(15 * MIN, 0, 15), { late: false, lateMinutes: 0 });
  assert.deepEqual(latenessOf(15 * MIN + 1, 0, 15), { late: true, lateMinutes: 15 });
  assert.deepEqual(latenessOf(42.5 * MIN, 0, 15), { late: true, lateMinutes: 42 });
  assert.deepEqual(latenessOf(undefined, 0, 15), { late: false, lateMinutes: 0 });
});
