import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { UUID_RE, optionalId, parseSelector, parseTimeoutSeconds, requireId } from '../../lib/conversation/validate';

const ID = '3f9a1c2e-8b7d-4e6f-a5b4-1c2d3e4f5a6b';

function invalid(fn: () => unknown, field: string, text?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GenesysError, 'a GenesysError');
    assert.equal(err.code, 'invalid-input');
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(`${field}:`), err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

describe('lib/validate', () => {
  describe('requireId', () => {
    it('accepts a UUID of any version and case, trimmed', () => {
      assert.equal(requireId(` ${ID}\n`, 'conversationId'), ID);
      assert.equal(requireId(ID.toUpperCase(), 'conversationId'), ID.toUpperCase());
      assert.ok(UUID_RE.test('00000000-0000-1000-8000-000000000000'));
    });
    it('refuses missing, non-string and non-UUID values, naming the field', () => {
      invalid(() => requireId(undefined, 'conversationId'), 'conversationId', /UUID/);
      invalid(() => requireId(null, 'conversationId'), 'conversationId');
      invalid(() => requireId('', 'conversationId'), 'conversationId', /empty/);
      invalid(() => requireId(42, 'participantId'), 'participantId', /number/);
      invalid(() => requireId({}, 'participantId'), 'participantId');
      invalid(() => requireId(`${ID}x`, 'participantId'), 'participantId');
      invalid(() => requireId('../../users/me', 'conversationId'), 'conversationId');
      invalid(() => requireId(`${ID}/../../x`, 'conversationId'), 'conversationId');
    });
    it('never echoes more than about 40 characters of the bad value', () => {
      const long = 'x'.repeat(5000);
      assert.throws(
        () => requireId(long, 'conversationId'),
        (err: GenesysError) => {
          assert.ok(err.message.length < 120, err.message);
          return true;
        },
      );
    });
  });

  describe('optionalId', () => {
    it('treats undefined, null and empty as absent and validates the rest', () => {
      assert.equal(optionalId(undefined, 'participantId'), undefined);
      assert.equal(optionalId(null, 'participantId'), undefined);
      assert.equal(optionalId('  ', 'participantId'), undefined);
      assert.equal(optionalId(ID, 'participantId'), ID);
      invalid(() => optionalId('nope', 'participantId'), 'participantId');
    });
  });

  describe('parseSelector', () => {
    it('returns undefined for undefined and null', () => {
      assert.equal(parseSelector(undefined, 'target'), undefined);
      assert.equal(parseSelector(null, 'target'), undefined);
    });
    it('keeps the known fields, trimmed', () => {
      assert.deepEqual(parseSelector({ userId: ID, purpose: 'agent', name: ' Ann Smith ' }, 'target'), {
        userId: ID,
        purpose: 'agent',
        name: 'Ann Smith',
      });
      assert.deepEqual(parseSelector({ address: 'tel:+15551234567', queueId: ID, externalContactId: ID }, 'target'), {
        address: 'tel:+15551234567',
        queueId: ID,
        externalContactId: ID,
      });
    });
    it('refuses arrays, strings and non-plain objects', () => {
      invalid(() => parseSelector([], 'target'), 'target');
      invalid(() => parseSelector('agent', 'target'), 'target');
      invalid(() => parseSelector(new Date(), 'target'), 'target');
      invalid(() => parseSelector(Object.create({ userId: ID }), 'target'), 'target');
    });
    it('refuses an empty selector', () => {
      invalid(() => parseSelector({}, 'target'), 'target', /at least one/);
      invalid(() => parseSelector({ name: '' }, 'target'), 'target', /at least one/);
    });
    it('refuses unknown keys, including __proto__ and constructor', () => {
      invalid(() => parseSelector({ userId: ID, role: 'x' }, 'target'), 'target', /unknown field "role"/);
      invalid(() => parseSelector(JSON.parse(`{"__proto__": {"userId": "${ID}"}}`), 'target'), 'target', /__proto__/);
      invalid(() => parseSelector({ constructor: 'x', userId: ID }, 'target'), 'target', /constructor/);
    });
    it('validates ids, purposes and string lengths, naming the sub-field', () => {
      invalid(() => parseSelector({ userId: 'bob' }, 'target'), 'target.userId', /UUID/);
      invalid(() => parseSelector({ purpose: 'boss' }, 'target'), 'target.purpose', /one of/);
      invalid(() => parseSelector({ purpose: 7 }, 'target'), 'target.purpose', /string/);
      invalid(() => parseSelector({ name: 'n'.repeat(300) }, 'target'), 'target.name', /256/);
      for (const purpose of ['customer', 'external', 'agent', 'user', 'acd', 'ivr', 'workflow', 'manual']) {
        assert.equal(parseSelector({ purpose }, 'target')?.purpose, purpose);
      }
    });
  });

  describe('parseTimeoutSeconds', () => {
    it('accepts positive numbers and numeric strings up to 86400', () => {
      assert.equal(parseTimeoutSeconds(30, 'timeout'), 30);
      assert.equal(parseTimeoutSeconds('2.5', 'timeout'), 2.5);
      assert.equal(parseTimeoutSeconds(' 86400 ', 'timeout'), 86400);
    });
    it('refuses zero, negatives, non-finite, non-numeric and too large', () => {
      for (const bad of [0, -1, Number.NaN, Infinity, '', 'abc', '1e3x', '-5', null, undefined, {}, 86401, '1e9']) {
        invalid(() => parseTimeoutSeconds(bad, 'timeout'), 'timeout');
      }
    });
  });
});
