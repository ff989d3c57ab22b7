import { test } from 'node:test';
import assert from 'node:assert/strict';
import { union, unionLength } from '../../../src/domain/intervals.js';

const iv = (start: number, end: number) => ({ start, end });

test('union merges overlapping, contained and touching intervals, in any order', () => {
  assert.deepEqual(union([iv(50, 60), iv(0, 10), iv(5, 20), iv(20, 30), iv(22, 25)]), [iv(0, 30), iv(50, 60)]);
});

test('union length counts each instant once', () => {
  assert.equal(unionLength([iv(0, 40), iv(20, 60), iv(70, 80)]), 70);
  assert.equal(unionLength([]), 0);
});

test('union length within a window counts only the part inside it', () => {
  // [-20,30) ∪ [20,40) clipped to [0,60) = [0,40); [40,90) → [40,60) touches it; [70,90) is outside
  assert.equal(unionLength([iv(40, 90), iv(-20, 30), iv(70, 90), iv(20, 40)], iv(0, 60)), 60);
  assert.equal(unionLength([iv(-20, 10), iv(50, 90)], iv(0, 60)), 20);
  assert.equal(unionLength([iv(70, 90)], iv(0, 60)), 0);
});
