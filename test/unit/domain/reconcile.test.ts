import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listingOpeners, markListed, markUnlisted, reconcileClosure } from '../../../src/domain/reconcile.js';
import { insertUnique, type Span } from '../../../src/domain/sorted-sets.js';

/** Feeds snapshots (time, listed?) in the given order, as the state does. */
function runsFrom(snapshots: Array<[number, boolean]>): { runs: Span[]; times: number[] } {
  const runs: Span[] = [];
  const times: number[] = [];
  for (const [t, listed] of snapshots) {
    const isNew = insertUnique(times, t);
    if (listed) markListed(runs, times, t);
    else if (isNew) markUnlisted(runs, times, t);
  }
  return { runs, times };
}

test('runs are the maximal spans of consecutive listing snapshots, in any arrival order', () => {
  const snapshots: Array<[number, boolean]> = [
    [1, true],
    [2, true],
    [3, false],
    [4, true],
    [5, true],
    [6, true],
    [7, false],
  ];
  const expected: Span[] = [
    [1, 2],
    [4, 6],
  ];
  assert.deepEqual(runsFrom(snapshots).runs, expected);
  assert.deepEqual(runsFrom([...snapshots].reverse()).runs, expected);
  assert.deepEqual(
    runsFrom([snapshots[6]!, snapshots[0]!, snapshots[5]!, snapshots[2]!, snapshots[3]!, snapshots[1]!, snapshots[4]!])
      .runs,
    expected,
  );
});

test('reconcile closure: first snapshot missing the connection, closed at its last confirmation', () => {
  const { runs, times } = runsFrom([
    [10, true],
    [20, true],
    [30, false],
    [40, true],
    [50, false],
  ]);
  assert.deepEqual(reconcileClosure(runs, times, 0), { at: 30, leftAt: 20 });
  assert.deepEqual(reconcileClosure(runs, times, 25), { at: 30, leftAt: 25 });
  assert.deepEqual(reconcileClosure(runs, times, 35), { at: 50, leftAt: 40 });
  assert.equal(reconcileClosure(runs, times, 50), undefined);
});

test('listing openers: run starts, and the next listings after something closed the connection inside a run', () => {
  const { runs, times } = runsFrom([
    [10, true],
    [20, true],
    [30, true],
    [40, false],
  ]);
  assert.deepEqual(listingOpeners(runs, times, []), [10]);
  // a leave at 15 inside the run: the listing at 20 reopens; a leave at exactly 20 pairs with the listing at 20
  assert.deepEqual(listingOpeners(runs, times, [15]), [10, 20, 20]);
  assert.deepEqual(listingOpeners(runs, times, [20]), [10, 20, 30]);
  assert.deepEqual(listingOpeners(runs, times, [45]), [10]);
});
