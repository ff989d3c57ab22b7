import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertSafeExposure, ConfigError, isLoopbackHost, loadConfig } from '../../src/config/index.js';
import { dataDirPayloadKey, payloadKeyFile } from '../../src/infra/secrets.js';

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
};

describe('safe-by-default configuration', () => {
  it('listens on loopback, and serves metrics on loopback, by default', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(config.payloadKeys, undefined);
  });

  it('refuses an open API on a non-loopback HOST, naming HOST and API_TOKEN', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'rollcall.example.com']) {
      const config = loadConfig({ HOST: host });
      assert.throws(
        () => assertSafeExposure(config),
        (error: unknown) =>
          error instanceof ConfigError && error.message.includes('HOST') && error.message.includes('API_TOKEN'),
        host,
      );
      assertSafeExposure(loadConfig({ HOST: host, API_TOKEN: 'a-long-token' }));
    }
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) assertSafeExposure(loadConfig({ HOST: host }));
  });

  it('knows loopback names and addresses', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost'])
      assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io'])
      assert.ok(!isLoopbackHost(host), host);
  });

  it('never repeats a URL password in a configuration error', () => {
    for (const url of [
      'mysql://app:hunter2secret@db:5432/rollcall',
      'postgres://app:hunter2secret@db:notaport/rollcall',
      'postgres//app:hunter2secret@db/rollcall',
      'postgres://app:hunter2secret@db:99999999/rollcall',
    ]) {
      const message = refusal({ DATABASE_URL: url });
      assert.match(message, /DATABASE_URL/);
      assert.ok(!message.includes('hunter2secret'), message);
    }
    const message = refusal({
      REPORT_WEBHOOK_URL: 'ftp://push:hunter2secret@reports.example.com/',
      REPORT_WEBHOOK_SECRET: 'x',
    });
    assert.ok(!message.includes('hunter2secret'), message);
  });

  it('never repeats a secret variable in a configuration error', () => {
    assert.ok(!refusal({ VIEWER_LINK_SECRET: 'too-short-1' }).includes('too-short-1'));
    const key = randomBytes(20).toString('base64');
    const message = refusal({ PAYLOAD_ENCRYPTION_KEY: key });
    assert.match(message, /PAYLOAD_ENCRYPTION_KEY: expected 32 bytes in base64/);
    assert.ok(!message.includes(key), message);
  });
});

describe('secrets kept in the data directory', () => {
  it('makes the payload key once, readable by its owner only, and gives the same key on every start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-secret-'));
    try {
      const key = dataDirPayloadKey(join(dir, 'data'));
      assert.equal(statSync(payloadKeyFile(join(dir, 'data'))).mode & 0o777, 0o600);
      assert.equal(loadConfig({ PAYLOAD_ENCRYPTION_KEY: key }).payloadKeys?.length, 1);
      chmodSync(payloadKeyFile(join(dir, 'data')), 0o644);
      assert.equal(dataDirPayloadKey(join(dir, 'data')), key);
      assert.equal(statSync(payloadKeyFile(join(dir, 'data'))).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
