import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.continueAsNewEvents, 1_000);
    assert.equal(config.timings.calculationDelayMs, 5 * 60_000);
  });

  it('reads integers and durations', () => {
    const config = loadConfig({ PORT: '8080', CONTINUE_AS_NEW_EVENTS: '500', CALCULATION_DELAY: '3s' });
    assert.deepEqual([config.port, config.continueAsNewEvents, config.timings.calculationDelayMs], [8080, 500, 3_000]);
  });

  it('puts report syncs on a task queue of their own, named after the main one unless set', () => {
    assert.equal(loadConfig({}).temporal.reportSyncTaskQueue, 'rollcall-report-sync');
    assert.equal(loadConfig({ TEMPORAL_TASK_QUEUE: 'q' }).temporal.reportSyncTaskQueue, 'q-report-sync');
    assert.equal(loadConfig({ TEMPORAL_REPORT_SYNC_TASK_QUEUE: ' syncs ' }).temporal.reportSyncTaskQueue, 'syncs');
  });

  for (const [name, value, message] of [
    ['PORT', 'abc', 'expected a port number 0-65535, got "abc"'],
    ['PORT', '70000', 'expected a port number 0-65535, got "70000"'],
    ['CONTINUE_AS_NEW_EVENTS', '100', 'expected a number of history events 500-40000, got "100"'],
    ['CONTINUE_AS_NEW_EVENTS', '1e4', 'expected a number of history events 500-40000, got "1e4"'],
    ['CALCULATION_DELAY', 'soon', 'expected a duration like 30s, 5m or 2h, got "soon"'],
    ['BACKGROUND_NICE', '20', 'expected a CPU priority offset 0-19, got "20"'],
  ] as const) {
    it(`refuses ${name}=${value}, naming the setting`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}: ${message}`),
      );
    });
  }
});
