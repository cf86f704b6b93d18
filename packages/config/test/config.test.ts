import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { ConfigError, TokumeiError } from '@tokumei/errors';
import { loadConfig } from '@tokumei/config';

/** Runs loadConfig and returns the ConfigError it throws (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('uses the contract ports and loopback host', () => {
    expect(config.ingestPort).toBe(8080);
    expect(config.apiPort).toBe(8081);
    expect(config.host).toBe('127.0.0.1');
  });

  it('runs all three roles with the in-process bus and embedded store', () => {
    expect([...config.roles].sort()).toEqual(['api', 'ingest', 'worker']);
    expect(config.kafka).toBeUndefined();
    expect(config.clickhouseUrl).toBeUndefined();
    expect(config.apiToken).toBeUndefined();
  });

  it('resolves the data directory and trusts no proxy', () => {
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.trustProxy).toBe(false);
    expect(config.consentPolicy).toBe('count');
    expect(config.rawRetentionMs).toBe(86_400_000);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ INGEST_PORT: '   ', TOKUMEI_HOST: '' }).ingestPort).toBe(8080);
    expect(loadConfig({ TOKUMEI_HOST: '' }).host).toBe('127.0.0.1');
  });

  it('reads explicit values', () => {
    const custom = loadConfig({ INGEST_PORT: '9000', API_PORT: ' 9001 ', TOKUMEI_HOST: '0.0.0.0', TOKUMEI_API_TOKEN: 'secret' });
    expect(custom.ingestPort).toBe(9000);
    expect(custom.apiPort).toBe(9001);
    expect(custom.host).toBe('0.0.0.0');
    expect(custom.apiToken).toBe('secret');
  });
});

describe('loadConfig integers', () => {
  it.each([
    ['INGEST_PORT', 'abc'],
    ['INGEST_PORT', '80.5'],
    ['API_PORT', '70000'],
    ['API_PORT', '-1'],
    ['TOKUMEI_MIN_VISITORS', '0'],
    ['TOKUMEI_BATCH_SIZE', '1e9'],
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error).toBeInstanceOf(TokumeiError);
    expect(error.code).toBe('TKM_CONFIG');
    expect(error.setting).toBe(name);
    expect(error.message).toContain(name);
    expect(error.message).toContain(value);
  });

  it('accepts the bounds of a range', () => {
    expect(loadConfig({ INGEST_PORT: '0' }).ingestPort).toBe(0);
    expect(loadConfig({ INGEST_PORT: '65535' }).ingestPort).toBe(65535);
  });
});

describe('loadConfig roles', () => {
  it('refuses an unknown role and names it', () => {
    const error = configError({ TOKUMEI_ROLES: 'ingest,worker,api,dashboard' });
    expect(error.setting).toBe('TOKUMEI_ROLES');
    expect(error.message).toContain('"dashboard"');
  });

  it('tolerates spaces and repeats between roles', () => {
    const config = loadConfig({ TOKUMEI_ROLES: ' api , ingest,worker,api' });
    expect([...config.roles].sort()).toEqual(['api', 'ingest', 'worker']);
  });

  // Without Kafka the bus is in-process: ingest and worker must share a process; the api needs no bus.
  it.each(['ingest', 'worker', 'ingest,api', 'worker,api'])(
    'refuses "%s" without KAFKA_BROKERS (ingest and worker apart)', (roles) => {
      const error = configError({ TOKUMEI_ROLES: roles });
      expect(error.setting).toBe('TOKUMEI_ROLES');
      expect(error.message).toContain('KAFKA_BROKERS');
    });

  it.each(['api', 'ingest,worker'])('accepts "%s" without KAFKA_BROKERS', (roles) => {
    const config = loadConfig({ TOKUMEI_ROLES: roles });
    expect([...config.roles].sort().join(',')).toBe(roles);
    expect(config.kafka).toBeUndefined();
  });

  it('accepts a subset of roles with KAFKA_BROKERS', () => {
    const config = loadConfig({ TOKUMEI_ROLES: 'worker', KAFKA_BROKERS: 'kafka:9092' });
    expect([...config.roles]).toEqual(['worker']);
    expect(config.kafka?.brokers).toEqual(['kafka:9092']);
  });
});

describe('loadConfig KAFKA_BROKERS', () => {
  it('splits, trims and drops empty entries', () => {
    const config = loadConfig({ KAFKA_BROKERS: ' a:9092, b:9093 ,,c:9094,' });
    expect(config.kafka?.brokers).toEqual(['a:9092', 'b:9093', 'c:9094']);
    expect(config.kafka?.clientId).toBe('tokumei');
  });

  it('uses KAFKA_CLIENT_ID when given', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_CLIENT_ID: 'edge' }).kafka?.clientId).toBe('edge');
  });

  it('is the in-process bus when blank', () => {
    expect(loadConfig({ KAFKA_BROKERS: '  ' }).kafka).toBeUndefined();
  });
});

describe('loadConfig TOKUMEI_TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
  ] as const)('%s → %s', (value, expected) => {
    expect(loadConfig({ TOKUMEI_TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it('parses a list of addresses and CIDRs', () => {
    expect(loadConfig({ TOKUMEI_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,,::1' }).trustProxy)
      .toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
  });

  it('treats a single address as a one-element list, not as "trust any"', () => {
    expect(loadConfig({ TOKUMEI_TRUST_PROXY: '10.0.0.1' }).trustProxy).toEqual(['10.0.0.1']);
  });
});

describe('loadConfig enumerations', () => {
  it('refuses an unknown consent policy', () => {
    const error = configError({ TOKUMEI_CONSENT_POLICY: 'maybe' });
    expect(error.setting).toBe('TOKUMEI_CONSENT_POLICY');
  });
});
