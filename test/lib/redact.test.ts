// The redaction point (lib/redact.ts) on its own: what it removes, what it keeps, and that an error keeps
// its code and details but loses its raw cause.
import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { MAX_FOREIGN_TEXT, Redactor, proxySecrets, redactPatterns, truncate } from '../../lib/platform/redact';

describe('lib/redact', () => {
  const SECRET = 'S3cret-value/with+odd=chars';
  const r = new Redactor([SECRET]);
  r.addBasic('client-1', SECRET);
  r.addToken('tok-abcdefghijklmnop');

  it('removes the secret as typed, URL-encoded and base64, the Basic pair, and issued tokens', () => {
    const basic = Buffer.from(`client-1:${SECRET}`).toString('base64');
    const text = r.text(`a ${SECRET} b ${encodeURIComponent(SECRET)} c ${Buffer.from(SECRET).toString('base64')} d ${basic} e tok-abcdefghijklmnop`);
    for (const leak of [SECRET, encodeURIComponent(SECRET), basic, 'tok-abcdefghijklmnop']) assert.ok(!text.includes(leak), text);
    assert.match(text, /^a \*\*\* b \*\*\* c \*\*\* d \*\*\* e \*\*\*$/);
  });

  it('removes any bearer or Basic value and URL credentials, and keeps ordinary words', () => {
    assert.equal(redactPatterns('Authorization: Bearer eyJhbGciOi.xyz-123'), 'Authorization: Bearer ***');
    assert.equal(redactPatterns('Authorization: Basic dXNlcjpwYXNz'), 'Authorization: Basic ***');
    assert.equal(redactPatterns('via http://ops:pa55@proxy.example:3128/x'), 'via http://***@proxy.example:3128/x');
    assert.equal(redactPatterns('{"access_token":"abc.def"}'), '{"access_token":"***"}');
    for (const plain of [
      'Basic authentication failed',
      'the Bearer token was refused',
      'GET api.mypurecloud.com/api/v2/conversations/x failed',
      'http://127.0.0.1:8089',
    ]) {
      assert.equal(redactPatterns(plain), plain);
    }
  });

  it('knows the passwords of proxy URLs in the environment, even unparsable ones', () => {
    const found = proxySecrets({ HTTPS_PROXY: 'http://user:p%40ss word@bad host:1' });
    assert.ok(found.includes('p%40ss word'));
    assert.ok(found.includes('p@ss word'));
  });

  it('cuts foreign text to MAX_FOREIGN_TEXT, and scans a megabyte without trouble', () => {
    const big = `${'x'.repeat(1024 * 1024)}http://u:p@h`;
    const out = r.foreign(big);
    assert.ok(out.length < MAX_FOREIGN_TEXT + 60);
    assert.match(out, /more characters cut/);
    assert.equal(truncate('short'), 'short');
  });

  it('an error keeps its code and details, loses the raw cause (a plain one with message and code instead)', () => {
    const undiciLike = Object.assign(new Error(`connect to http://ops:${SECRET}@proxy failed`), {
      code: 'ECONNREFUSED',
      input: `http://ops:${SECRET}@proxy`,
    });
    const src = new GenesysError('network-error', `failed with ${SECRET}`, {
      status: 503,
      genesysCode: 'x',
      correlationId: 'c',
      retryAfter: 2,
      sent: true,
      cause: undiciLike,
    });
    const out = r.error(src);
    assert.ok(out instanceof GenesysError);
    assert.equal(out.message, 'failed with ***');
    assert.deepEqual([out.code, out.status, out.genesysCode, out.correlationId, out.retryAfter, out.sent], ['network-error', 503, 'x', 'c', 2, true]);
    const cause = out.cause as Error & { code?: string; input?: string };
    assert.equal(cause.code, 'ECONNREFUSED');
    assert.equal(cause.input, undefined);
    assert.ok(!cause.message.includes(SECRET) && !String(cause.stack).includes(SECRET));
    assert.ok(!String(out.stack).includes(SECRET));
    assert.equal(r.error(out), out, 'a second pass changes nothing');
    // A foreign error becomes genesys-error, without a cause.
    const foreign = r.error(new TypeError(`bad ${SECRET}`));
    assert.equal(foreign.code, 'genesys-error');
    assert.equal(foreign.cause, undefined);
    assert.equal(foreign.message, 'bad ***');
  });

  it('one error shared by many requests is redacted once and stays one object; a new token is redacted from it again', () => {
    const r = new Redactor(['s3cret-value-1234']);
    const shared = new GenesysError('cancelled', 'the client was closed; token tok-abcdefghijklmnop');
    const a = r.error(shared);
    assert.equal(r.error(shared), a, 'the same redacted object for every request that shares the error');
    assert.equal(r.error(a), a);
    r.addToken('tok-abcdefghijklmnop');
    const b = r.error(shared);
    assert.notEqual(b, a, 'a token learnt since is redacted too');
    assert.ok(!b.message.includes('tok-abcdefghijklmnop'), b.message);
  });
});
