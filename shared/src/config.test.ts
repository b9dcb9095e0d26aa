import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, readConfig, setting } from './config.ts';

const schema = {
  port: setting.integer('APP_PORT', { example: '8080', default: 8080, min: 0, max: 65535 }),
  kubeconfig: setting.string('KUBECONFIG', { example: '/root/.kube/config', optional: true }),
  level: setting.oneOf('LOG_LEVEL', ['debug', 'info'], { example: 'info', default: 'info' }),
  lease: setting.duration('LEASE_DURATION', { example: '15s', default: 15_000 }),
  leader: setting.boolean('LEADER_ELECT', { example: 'true', default: true }),
  api: setting.url('API_URL', { example: 'http://127.0.0.1:3000' }),
  brokers: setting.list('BROKERS', { example: 'a:9092,b:9092', default: [] }),
};

describe('readConfig', () => {
  it('parses present variables and fills defaults into a frozen object', () => {
    const config = readConfig(schema, {
      APP_PORT: '9090',
      LEASE_DURATION: '2m',
      API_URL: 'http://x:1',
      BROKERS: 'a:1, b:2,',
      LEADER_ELECT: 'false',
    });
    assert.deepEqual(
      { ...config },
      {
        port: 9090,
        kubeconfig: undefined,
        level: 'info',
        lease: 120_000,
        leader: false,
        api: 'http://x:1',
        brokers: ['a:1', 'b:2'],
      },
    );
    assert.ok(Object.isFrozen(config));
  });

  it('reports every violation at once with the variable and an example', () => {
    const error = (() => {
      try {
        readConfig(schema, {
          APP_PORT: '70000',
          LOG_LEVEL: 'loud',
          LEASE_DURATION: '15',
          LEADER_ELECT: 'yes',
        });
      } catch (caught) {
        return caught;
      }
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.violations, [
      'APP_PORT must be an integer from 0 to 65535, got "70000" (e.g. APP_PORT=8080)',
      'LOG_LEVEL must be one of debug, info, got "loud" (e.g. LOG_LEVEL=info)',
      'LEASE_DURATION must be a duration such as 500ms, 15s, 2m or 1h, got "15" (e.g. LEASE_DURATION=15s)',
      'LEADER_ELECT must be true or false, got "yes" (e.g. LEADER_ELECT=true)',
      'API_URL is required (e.g. API_URL=http://127.0.0.1:3000)',
    ]);
    assert.match(error.message, /^invalid configuration:\n {2}- APP_PORT/);
  });

  it('treats an empty variable as unset', () => {
    assert.throws(() => readConfig({ api: schema.api }, { API_URL: '' }), /API_URL is required/);
  });
});
