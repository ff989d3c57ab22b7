/**
 * The two tables neutral errors go through: to an HTTP status at the API's edge, and to retried or final at the
 * activities' edge. Each neutral error is listed with what it must become, so a new one cannot go unmapped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { activityFailure, withFailureTable } from '../../src/activities/failures.js';
import { HttpError, httpAnswerOf } from '../../src/api/http-error.js';
import {
  Conflict,
  InvalidInput,
  NotFound,
  ProviderRefused,
  SessionNotFound,
  SessionNotRunning,
  Unavailable,
  type RollcallError,
} from '../../src/domain/errors.js';

const cases: Array<{ error: RollcallError; status: number; retryable: boolean }> = [
  { error: new InvalidInput('roster.0.userId: required'), status: 400, retryable: false },
  { error: new NotFound('no dead letter 7'), status: 404, retryable: false },
  { error: new SessionNotFound('s-1'), status: 404, retryable: false },
  { error: new SessionNotRunning('s-1'), status: 404, retryable: false },
  { error: new Conflict('session s-1 already exists with different details'), status: 409, retryable: false },
  {
    error: new ProviderRefused('report webhook refused the report of session s-1 (400)'),
    status: 502,
    retryable: false,
  },
  { error: new Unavailable('Temporal is unavailable; retry later'), status: 503, retryable: true },
];

describe('neutral errors at the HTTP edge', () => {
  for (const { error, status } of cases) {
    it(`${error.name} answers ${status} with its own message`, () => {
      assert.deepEqual(httpAnswerOf(error), { status, body: { error: error.message } });
    });
  }

  it('never answers what caused an error', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.7:7233');
    const answer = httpAnswerOf(new Unavailable('Temporal is unavailable; retry later', { cause }));
    assert.doesNotMatch(JSON.stringify(answer), /ECONNREFUSED|10\.0\.0\.7/);
  });

  it('leaves an unexpected error to the 500 without detail, and answers an HTTP concern as given', () => {
    assert.equal(httpAnswerOf(new Error('relation "sessions" does not exist')), undefined);
    assert.deepEqual(httpAnswerOf(new HttpError(401, 'missing bearer token')), {
      status: 401,
      body: { error: 'missing bearer token' },
    });
  });
});

describe('neutral errors at the activity edge', () => {
  for (const { error, retryable } of cases) {
    it(`${error.name} is ${retryable ? 'retried' : 'not retried'}`, () => {
      const failure = activityFailure(error);
      if (retryable) return assert.equal(failure, error);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.nonRetryable, true);
      assert.equal(failure.type, error.name);
      assert.equal(failure.message, error.message);
    });
  }

  it('retries any other error as it is (network, database)', () => {
    const error = new Error('Connection terminated unexpectedly');
    assert.equal(activityFailure(error), error);
  });

  it('applies to every activity it wraps', async () => {
    const activities = withFailureTable({
      calculate: (sessionId: string) => Promise.reject(new SessionNotFound(sessionId)),
      ok: () => Promise.resolve(42),
    });
    assert.equal(await activities.ok(), 42);
    await assert.rejects(
      activities.calculate('s-9'),
      (error) => error instanceof ApplicationFailure && error.nonRetryable && error.type === 'SessionNotFound',
    );
  });
});
