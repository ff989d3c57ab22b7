import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storable } from '../../src/db/storable.js';

describe('storable', () => {
  const event = {
    kind: 'report-row',
    key: 'zoom:abc',
    at: 1,
    person: { guestKey: 'g', name: 'Zoë 😀', providerUserIds: ['a', 'b'] },
    flags: [true, null, 3],
  };

  it('returns the value itself when no string needs fixing', () => {
    assert.equal(storable(event), event);
    const list = [event, event];
    assert.equal(storable(list), list);
    assert.equal(storable('plain'), 'plain');
    assert.equal(storable(42), 42);
  });

  it('returns a fixed copy, leaving the value as it was, when a string holds NUL or a lone surrogate', () => {
    const broken = { ...event, person: { ...event.person, name: 'Ann\u0000 \ud800', providerUserIds: ['a\udc00'] } };
    const before = structuredClone(broken);
    const fixed = storable(broken);
    assert.notEqual(fixed, broken);
    assert.deepEqual(fixed, {
      ...event,
      person: { ...event.person, name: 'Ann \ufffd', providerUserIds: ['a\ufffd'] },
    });
    assert.deepEqual(broken, before, 'the original is untouched');
    assert.deepEqual(storable({ ['k\u0000ey']: 1 }), { key: 1 }, 'keys too');
  });
});
