import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePipelineConfig } from '../../../src/config/load-pipeline-config.js';
import { redactPipelineConfig } from '../../../src/config/pipeline-config.js';
import { mysqlConnectionOptions } from '../../../src/sources/mysql/connection-options.js';
import { kafkaSecurity } from '../../../src/streams/kafka-security.js';
import { configurationError } from '../../helpers/errors.js';

const FILE = '/etc/sluice/pipeline.yml';
const folder = mkdtempSync(join(tmpdir(), 'sluice-security-'));
const pemText = (name: string): string => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;
const pem = (name: string, content = pemText(name)): string => {
  const file = join(folder, name);
  writeFileSync(file, content);
  return file;
};
const ca = pem('ca.pem');
const cert = pem('client.pem');
const key = pem('client.key');

function file(kafka: Record<string, unknown> = {}, mysql: Record<string, unknown> = {}): string {
  return stringify({
    pipeline: 'shop',
    source: { mysql: { url: 'mysql://u:p@db.example:3306', databases: ['shop'], ...mysql } },
    kafka: { brokers: ['kafka.example:9093'], ...kafka },
  });
}

describe('kafka.ssl and kafka.sasl', () => {
  it('become kafkajs options with the PEM files read', () => {
    const config = parsePipelineConfig(file({ ssl: { caFile: ca, certFile: cert, keyFile: key, keyPassword: 'k' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's' } }), FILE, {});
    expect(kafkaSecurity(config.kafka)).toEqual({
      ssl: { ca: [pemText('ca.pem')], cert: pemText('client.pem'), key: pemText('client.key'), passphrase: 'k', rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's' },
    });
    expect(kafkaSecurity(parsePipelineConfig(file({ ssl: true }), FILE, {}).kafka)).toEqual({ ssl: true });
    expect(kafkaSecurity(parsePipelineConfig(file(), FILE, {}).kafka)).toEqual({});
  });

  it('refuses an unreadable file, half a client certificate and an unknown mechanism, naming the key', () => {
    expect(configurationError(() => parsePipelineConfig(file({ ssl: { caFile: join(folder, 'missing.pem') } }), FILE, {})).message).toContain('kafka.ssl.caFile');
    expect(configurationError(() => parsePipelineConfig(file({ ssl: { certFile: cert } }), FILE, {})).message).toContain('kafka.ssl.keyFile: a client certificate needs both certFile and keyFile');
    const mechanism = configurationError(() => parsePipelineConfig(file({ sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }), FILE, {}));
    expect(mechanism.message).toContain('kafka.sasl.mechanism');
    expect(mechanism.message).toContain(FILE);
  });

  it('reads the password from a ${file:} secret and redacts it', () => {
    const secret = pem('secret', 'from-a-file\n');
    const config = parsePipelineConfig(file({ sasl: { mechanism: 'plain', username: 'u', password: `\${file:${secret}}` }, ssl: { keyPassword: 'kp' } }), FILE, {});
    expect(config.kafka.sasl?.password).toBe('from-a-file');
    const redacted = redactPipelineConfig(config);
    expect(redacted.kafka.sasl?.password).toBe('***');
    expect(redacted.kafka.ssl).toMatchObject({ keyPassword: '***' });
    expect(configurationError(() => parsePipelineConfig(file({ sasl: { mechanism: 'plain', username: 'u', password: '${file:/nonexistent/secret}' } }), FILE, {})).message).toContain(
      'the secret file /nonexistent/secret cannot be read',
    );
  });
});

describe('MySQL TLS', () => {
  it('source.mysql.tls travels in the URL and becomes mysql2 ssl options', () => {
    const config = parsePipelineConfig(file({}, { tls: { caFile: ca } }), FILE, {});
    expect(new URL(config.source.mysql.url).searchParams.get('ssl-mode')).toBe('verify-identity');
    expect(mysqlConnectionOptions(config.source.mysql.url).ssl).toEqual({ ca: pemText('ca.pem'), rejectUnauthorized: true, verifyIdentity: true });
  });

  it('reads each ssl-mode of the URL', () => {
    const url = (query: string): string => `mysql://u:p@db:3306/?${query}`;
    expect(mysqlConnectionOptions(url('ssl-mode=REQUIRED')).ssl).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
    expect(mysqlConnectionOptions(url(`ssl-mode=VERIFY_CA&ssl-ca=${ca}`)).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
    expect(mysqlConnectionOptions(url(`ssl-ca=${ca}&ssl-cert=${cert}&ssl-key=${key}`)).ssl).toMatchObject({ verifyIdentity: true, cert: pemText('client.pem'), key: pemText('client.key') });
    expect(mysqlConnectionOptions(url('ssl-mode=disabled')).ssl).toBeUndefined();
    expect(mysqlConnectionOptions('mysql://u:p@db:3306').ssl).toBeUndefined();
  });

  it('refuses what it cannot honour with the fix', () => {
    const url = (query: string): string => `mysql://u:p@db:3306/?${query}`;
    expect(configurationError(() => mysqlConnectionOptions(url('ssl-mode=preferred'))).fix).toContain('never falls back to plain text');
    expect(configurationError(() => mysqlConnectionOptions(url('ssl-mode=verify-ca'))).fix).toContain('ssl-ca=');
    expect(configurationError(() => mysqlConnectionOptions(url('sslmode=require'))).message).toContain('unknown URL option "sslmode"');
    expect(configurationError(() => mysqlConnectionOptions(url(`ssl-ca=${join(folder, 'nope.pem')}`))).message).toContain('ssl-ca');
    expect(configurationError(() => parsePipelineConfig(file({}, { url: `mysql://u:p@db:3306/?ssl-mode=required`, tls: { mode: 'required' } }), FILE, {})).message).toContain('TLS is set twice');
  });
});
