/**
 * Every step of every kind of transaction, driven through processJob with a
 * scripted provider and a fake clock on an in-memory database, for each way a
 * provider call can end. The cases live in the *-cases.ts tables.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEngineWorld } from '../support/engine.js';
import { type Case, type Kind, OUTCOME_CLASSES, type OutcomeClass } from './case.js';
import { ATTENTION_CASES } from './attention-cases.js';
import { CHARGE_CASES } from './charge-cases.js';
import { REFUND_CASES } from './refund-cases.js';
import { REFUSED_CASES } from './refused-cases.js';
import { SALE_CASES } from './sale-cases.js';

const CASES: readonly Case[] = [...SALE_CASES, ...REFUND_CASES, ...CHARGE_CASES, ...REFUSED_CASES, ...ATTENTION_CASES];

const WITH_A_CALL: readonly OutcomeClass[] = OUTCOME_CLASSES;
const WITHOUT_A_CALL: readonly OutcomeClass[] = ['definite'];

/** Every step of every kind, and the outcome classes it must be tested with. */
const STEPS: readonly { readonly kind: Kind; readonly step: string; readonly classes: readonly OutcomeClass[] }[] = [
  { kind: 'sale', step: 'pay', classes: WITH_A_CALL },
  { kind: 'sale', step: 'query', classes: WITH_A_CALL },
  { kind: 'sale', step: 'reverse', classes: WITH_A_CALL },
  // A void of a pending sale: the sale's job decides (no call), then reverses the sale.
  { kind: 'void', step: 'await_sale', classes: WITHOUT_A_CALL },
  { kind: 'void', step: 'reverse', classes: WITH_A_CALL },
  { kind: 'void', step: 'reverse_sale', classes: WITH_A_CALL },
  { kind: 'refund', step: 'refund', classes: WITH_A_CALL },
  { kind: 'refund', step: 'refund_query', classes: WITH_A_CALL },
  // The same refund step as above, for a CHOP charge: what differs is the charge it updates.
  { kind: 'charge refund', step: 'refund', classes: ['definite', 'unknown', 'refused'] },
  { kind: 'wallet charge', step: 'create_order', classes: WITH_A_CALL },
  { kind: 'wallet charge', step: 'await_payment', classes: WITH_A_CALL },
  { kind: 'wallet charge', step: 'close', classes: WITH_A_CALL },
  { kind: 'card charge', step: 'await_card', classes: WITHOUT_A_CALL },
  { kind: 'card charge', step: 'card_query', classes: WITH_A_CALL },
  // A cancel of a waiting charge: the charge's job closes the order and ends both.
  { kind: 'cancel', step: 'await_sale', classes: WITH_A_CALL },
  { kind: 'cancel', step: 'refund', classes: WITH_A_CALL },
  { kind: 'cancel', step: 'refund_query', classes: WITH_A_CALL },
];

describe('engine steps', () => {
  for (const { kind, step } of STEPS) {
    describe(`${kind} · ${step}`, () => {
      for (const c of CASES.filter((x) => x.kind === kind && x.step === step)) {
        test(`${c.outcome}: ${c.title}`, async () => {
          const world = await createEngineWorld();
          try {
            await c.run(world);
          } finally {
            await world.close();
          }
        });
      }
    });
  }

  test('every step of every kind has a case for each outcome class it can meet, and every case a listed step', () => {
    const missing = STEPS.flatMap(({ kind, step, classes }) =>
      classes
        .filter((outcome) => !CASES.some((c) => c.kind === kind && c.step === step && c.outcome === outcome))
        .map((outcome) => `${kind} · ${step} · ${outcome}`),
    );
    assert.deepEqual(missing, []);
    const unlisted = CASES.filter((c) => !STEPS.some((s) => s.kind === c.kind && s.step === c.step)).map((c) => `${c.kind} · ${c.step}`);
    assert.deepEqual(unlisted, []);
  });
});
