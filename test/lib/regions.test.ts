import * as assert from 'node:assert/strict';
import { GenesysError } from '../../lib/platform/errors';
import { REGIONS, describeRegion, findRegion, isLoopbackHost, resolveOrigins } from '../../lib/platform/regions';

function invalid(fn: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GenesysError);
    assert.equal(err.code, 'invalid-input');
    assert.equal(err.field, field);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('lib/regions', () => {
  it('lists the 18 regions of docs/platform.md, us-east-1 first, with unique domains', () => {
    assert.equal(REGIONS.length, 18);
    assert.deepEqual(REGIONS[0], { domain: 'mypurecloud.com', awsName: 'us-east-1', label: REGIONS[0].label });
    assert.equal(new Set(REGIONS.map((r) => r.domain)).size, 18);
    assert.equal(new Set(REGIONS.map((r) => r.awsName)).size, 18);
    for (const d of [
      'use2.us-gov-pure.cloud',
      'mypurecloud.ie',
      'edee1.eusc-pure.cloud',
      'mypurecloud.com.au',
      'apne3.pure.cloud',
      'mxc1.pure.cloud',
    ]) {
      assert.ok(findRegion(d), d);
    }
    assert.ok(Object.isFrozen(REGIONS) && Object.isFrozen(REGIONS[0]));
  });

  it('maps a domain to https://api.D and https://login.D', () => {
    assert.deepEqual(resolveOrigins('mypurecloud.ie'), { apiBaseUrl: 'https://api.mypurecloud.ie', authBaseUrl: 'https://login.mypurecloud.ie' });
    assert.deepEqual(resolveOrigins('usw2.pure.cloud'), { apiBaseUrl: 'https://api.usw2.pure.cloud', authBaseUrl: 'https://login.usw2.pure.cloud' });
    // an AWS name and stray case/space are accepted too
    assert.deepEqual(resolveOrigins(' EU-West-1 '), resolveOrigins('mypurecloud.ie'));
    assert.match(describeRegion('mypurecloud.de'), /mypurecloud\.de \(eu-central-1\)/);
  });

  it('rejects an unknown region, saying where to look', () => {
    invalid(() => resolveOrigins('eu.genesys.cloud'), 'region', /unknown region "eu\.genesys\.cloud".*mypurecloud\.com.*custom/);
    invalid(() => resolveOrigins(''), 'region', /required/);
  });

  it('accepts custom origins: https anywhere, http only on loopback; normalises a trailing slash', () => {
    assert.deepEqual(resolveOrigins('custom', { apiBaseUrl: 'http://127.0.0.1:8089/', authBaseUrl: 'http://localhost:8090' }), {
      apiBaseUrl: 'http://127.0.0.1:8089',
      authBaseUrl: 'http://localhost:8090',
    });
    assert.equal(
      resolveOrigins('custom', { apiBaseUrl: 'https://proxy.example.com', authBaseUrl: 'http://[::1]:9000' }).authBaseUrl,
      'http://[::1]:9000',
    );
    assert.ok(isLoopbackHost('127.10.0.3') && isLoopbackHost('[::1]') && isLoopbackHost('LOCALHOST'));
    assert.ok(!isLoopbackHost('128.0.0.1') && !isLoopbackHost('localhost.example.com') && !isLoopbackHost('10.0.0.1'));
  });

  it('rejects bad custom origins naming the field', () => {
    const ok = 'https://api.example.com';
    invalid(
      () => resolveOrigins('custom', { apiBaseUrl: 'http://api.example.com', authBaseUrl: ok }),
      'apiBaseUrl',
      /plain http is only allowed for loopback.*https/,
    );
    invalid(() => resolveOrigins('custom', { apiBaseUrl: ok, authBaseUrl: 'http://10.1.2.3:8080' }), 'authBaseUrl', /loopback/);
    invalid(() => resolveOrigins('custom', { apiBaseUrl: ok, authBaseUrl: 'https://login.example.com/oauth' }), 'authBaseUrl', /origin only/);
    invalid(() => resolveOrigins('custom', { apiBaseUrl: 'https://api.example.com/?x=1', authBaseUrl: ok }), 'apiBaseUrl', /origin only/);
    invalid(() => resolveOrigins('custom', { apiBaseUrl: 'ftp://api.example.com', authBaseUrl: ok }), 'apiBaseUrl', /https/);
    invalid(() => resolveOrigins('custom', { apiBaseUrl: 'api.example.com', authBaseUrl: ok }), 'apiBaseUrl', /not a URL|https/);
    invalid(() => resolveOrigins('custom', { apiBaseUrl: ok }), 'authBaseUrl', /required/);
    // credentials in the URL: refused and not echoed
    assert.throws(
      () => resolveOrigins('custom', { apiBaseUrl: 'https://me:hunter2@api.example.com', authBaseUrl: ok }),
      (err: GenesysError) => err.field === 'apiBaseUrl' && /user name or password/.test(err.message) && !err.message.includes('hunter2'),
    );
  });
});
