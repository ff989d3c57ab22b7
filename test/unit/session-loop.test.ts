import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextAction, type LoopView } from '../../src/workflows/session-loop.js';

/** A registered session at 10:00-10:40 (minutes as ms for readability), seeded, live, nothing due. */
const base: LoopView = {
  now: 20,
  seeded: true,
  seedDueAt: -30,
  recalculationRequested: false,
  endedAt: undefined,
  calculationDueAt: undefined,
  finalizedAt: undefined,
  dirty: false,
  hardStopAt: 160,
  reconcileDueAt: Infinity,
  lateWindowEndsAt: undefined,
  continueAsNewDue: false,
  handlersFinished: true,
};

describe('nextAction: what the session loop does next', () => {
  const cases: Array<[string, Partial<LoopView>, ReturnType<typeof nextAction>]> = [
    ['nothing due: sleeps until the hard stop', {}, { kind: 'wait', until: 160, forHandlers: false }],
    [
      'not seeded before its span opens: sleeps until it does',
      { seeded: false, seedDueAt: 50 },
      { kind: 'wait', until: 50, forHandlers: false },
    ],
    ['its span opened: loads the stored facts first', { seeded: false, seedDueAt: 10 }, { kind: 'seed' }],
    [
      'seeding comes before a pending recalculation',
      { seeded: false, seedDueAt: 10, recalculationRequested: true },
      { kind: 'seed' },
    ],
    ['a recalculation request is served at once', { recalculationRequested: true }, { kind: 'calculate', auto: false }],
    [
      'a request comes before a due continue-as-new',
      { recalculationRequested: true, continueAsNewDue: true },
      { kind: 'calculate', auto: false },
    ],
    [
      'a request comes before the finish',
      { recalculationRequested: true, finalizedAt: 45, lateWindowEndsAt: 50, now: 60 },
      { kind: 'calculate', auto: false },
    ],
    ['no end by the hard stop: stops', { now: 160 }, { kind: 'hard-stop' }],
    [
      'an end is known: waits for the calculation',
      { endedAt: 41, calculationDueAt: 46 },
      { kind: 'wait', until: 46, forHandlers: false },
    ],
    [
      'ended: no hard stop, even past it',
      { endedAt: 41, calculationDueAt: 200, now: 170 },
      { kind: 'wait', until: 200, forHandlers: false },
    ],
    [
      'grace over: the final calculation',
      { endedAt: 41, calculationDueAt: 46, now: 46 },
      { kind: 'calculate', auto: true },
    ],
    [
      'finalised, late facts: recalculates',
      { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166, dirty: true, now: 50 },
      { kind: 'calculate', auto: true },
    ],
    [
      'finalised, quiet: sleeps until the late window ends',
      { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166, now: 50 },
      { kind: 'wait', until: 166, forHandlers: false },
    ],
    [
      'late window over: finishes',
      { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166, now: 166 },
      { kind: 'finish' },
    ],
    [
      'late window over but facts came: recalculates first',
      { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166, now: 170, dirty: true },
      { kind: 'calculate', auto: true },
    ],
    [
      'finish waits for running handlers, waking when they finish',
      { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166, now: 170, handlersFinished: false },
      { kind: 'wait', until: Infinity, forHandlers: true },
    ],
    ['reconcile tick due while live', { reconcileDueAt: 20 }, { kind: 'reconcile' }],
    ['reconcile tick later: sleeps until it', { reconcileDueAt: 22 }, { kind: 'wait', until: 22, forHandlers: false }],
    [
      'the final calculation comes before a reconcile tick',
      { endedAt: 41, calculationDueAt: 46, now: 46, reconcileDueAt: 40 },
      { kind: 'calculate', auto: true },
    ],
    ['continue-as-new due, handlers idle: continues', { continueAsNewDue: true }, { kind: 'continue-as-new' }],
    [
      'continue-as-new due, handlers running: waits for them but keeps its deadlines',
      { continueAsNewDue: true, handlersFinished: false },
      { kind: 'wait', until: 160, forHandlers: true },
    ],
    [
      'due work comes before continuing as new',
      { continueAsNewDue: true, endedAt: 41, calculationDueAt: 46, now: 46 },
      { kind: 'calculate', auto: true },
    ],
  ];
  for (const [name, view, expected] of cases) {
    it(name, () => assert.deepEqual(nextAction({ ...base, ...view }), expected));
  }

  it('never returns a wait that is already over unless something is due (no busy loop)', () => {
    for (let now = 0; now < 300; now += 7) {
      for (const view of [
        {},
        { endedAt: 41, calculationDueAt: 46 },
        { endedAt: 41, finalizedAt: 46, lateWindowEndsAt: 166 },
        { reconcileDueAt: 100 },
      ]) {
        const action = nextAction({ ...base, ...view, now });
        if (action.kind === 'wait')
          assert.ok(action.until > now, `${JSON.stringify(view)} at ${now}: ${JSON.stringify(action)}`);
      }
    }
  });
});
