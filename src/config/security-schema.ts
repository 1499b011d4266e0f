import { accessSync, constants } from 'node:fs';
import { z } from 'zod';

/**
 * The TLS and SASL settings of the pipeline file: `kafka.ssl`, `kafka.sasl` and
 * `source.mysql.tls`. Certificates and keys are named by file (PEM); secrets come from
 * `${VAR}` or `${file:/path}` references and are redacted wherever the configuration is shown.
 */

/** A PEM file that must be readable when the pipeline file is loaded (so a typo stops with exit 2, not at the first connection). */
const pemFile = (what: string) =>
  z
    .string()
    .min(1)
    .refine(isReadable, { error: (issue) => `${String(issue.input)} cannot be read` })
    .describe(`a readable PEM file of ${what}, e.g. /etc/sluice/${what.split(' ').at(-1) ?? 'file'}.pem`);

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** `kafka.ssl`: `true` (TLS with the system's CAs) or the CA, the client certificate and verification. */
export const kafkaSslSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      caFile: pemFile('the CA certificate').optional(),
      certFile: pemFile('the client certificate').optional(),
      keyFile: pemFile('the client key').optional(),
      keyPassword: z.string().optional().describe('the passphrase of keyFile, e.g. ${file:/run/secrets/kafka-key-password}'),
      tlsVerify: z.boolean().default(true).describe("true (default) to verify the brokers' certificates; false only for a throwaway test cluster"),
    }),
  ])
  .superRefine((ssl, context) => {
    if (typeof ssl === 'object' && (ssl.certFile === undefined) !== (ssl.keyFile === undefined)) {
      context.addIssue({ code: 'custom', path: [ssl.certFile === undefined ? 'certFile' : 'keyFile'], message: 'a client certificate needs both certFile and keyFile' });
    }
  })
  .describe('true, or a mapping with caFile, certFile, keyFile, keyPassword and tlsVerify');

/** `kafka.sasl`: the mechanism and the account. */
export const kafkaSaslSchema = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('plain, scram-sha-256 or scram-sha-512'),
    username: z.string().min(1).describe('the SASL user name, e.g. sluice'),
    password: z.string().min(1).describe('the SASL password, e.g. ${KAFKA_PASSWORD} or ${file:/run/secrets/kafka-password}'),
  })
  .describe('a mapping with mechanism (plain | scram-sha-256 | scram-sha-512), username and password');

/** How a MySQL connection uses TLS (the MySQL client's --ssl-mode values, lowercase). */
export const MYSQL_TLS_MODES = ['disabled', 'required', 'verify-ca', 'verify-identity'] as const;

/** `source.mysql.tls`: the same settings as the URL's ssl-mode, ssl-ca, ssl-cert and ssl-key. */
export const mysqlTlsSchema = z
  .strictObject({
    mode: z
      .enum(MYSQL_TLS_MODES)
      .default('verify-identity')
      .describe('disabled, required (encrypted, unverified), verify-ca (the CA signed it) or verify-identity (default: and the host name matches)'),
    caFile: pemFile('the CA certificate').optional(),
    certFile: pemFile('the client certificate').optional(),
    keyFile: pemFile('the client key').optional(),
  })
  .superRefine((tls, context) => {
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      context.addIssue({ code: 'custom', path: [tls.certFile === undefined ? 'certFile' : 'keyFile'], message: 'a client certificate needs both certFile and keyFile' });
    }
  })
  .describe('a mapping with mode (disabled | required | verify-ca | verify-identity), caFile, certFile and keyFile');

/** The validated `source.mysql.tls`. */
export type MysqlTlsConfig = z.infer<typeof mysqlTlsSchema>;

/** The URL query keys that carry MySQL TLS settings, by setting. */
export const MYSQL_TLS_QUERY_KEYS = { mode: 'ssl-mode', caFile: 'ssl-ca', certFile: 'ssl-cert', keyFile: 'ssl-key' } as const;

/**
 * The MySQL URL with `tls` written into its query string (ssl-mode, ssl-ca, ssl-cert, ssl-key),
 * so that every connection made from the URL (capture, binlog, sink reads, preflight) uses it.
 */
export function withTlsInUrl(url: string, tls: MysqlTlsConfig): string {
  const parsed = new URL(url);
  parsed.searchParams.set(MYSQL_TLS_QUERY_KEYS.mode, tls.mode);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const value = tls[key];
    if (value !== undefined) parsed.searchParams.set(MYSQL_TLS_QUERY_KEYS[key], value);
  }
  return parsed.toString();
}
