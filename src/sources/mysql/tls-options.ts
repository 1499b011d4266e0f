import { readFileSync } from 'node:fs';
import type { SslOptions } from 'mysql2';
import { MYSQL_TLS_MODES, MYSQL_TLS_QUERY_KEYS } from '../../config/security-schema.js';
import { ConfigurationError } from '../../errors.js';

type TlsMode = (typeof MYSQL_TLS_MODES)[number];

/**
 * mysql2's TLS options from a MySQL URL's query string: `ssl-mode` (disabled, required,
 * verify-ca, verify-identity; the MySQL client's upper-case spelling works too), `ssl-ca`,
 * `ssl-cert` and `ssl-key` (PEM files, read now). Undefined when the URL asks for no TLS. A CA or
 * client certificate without a mode means verify-identity. Unknown keys, an unknown mode and
 * unreadable files are ConfigurationErrors naming the key and the fix.
 */
export function mysqlTlsOptions(query: URLSearchParams, where: string): SslOptions | undefined {
  const known = new Set<string>(Object.values(MYSQL_TLS_QUERY_KEYS));
  const unknown = [...query.keys()].filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(`${where}: unknown URL option ${unknown.map((key) => `"${key}"`).join(', ')}`, `the URL's query string takes ${[...known].join(', ')}; or use source.mysql.tls`);
  }
  const mode = tlsMode(query, where);
  const files = { ca: query.get(MYSQL_TLS_QUERY_KEYS.caFile), cert: query.get(MYSQL_TLS_QUERY_KEYS.certFile), key: query.get(MYSQL_TLS_QUERY_KEYS.keyFile) };
  if (mode === 'disabled') return undefined;
  if (mode === 'verify-ca' || mode === 'verify-identity') {
    if (files.ca === null) throw new ConfigurationError(`${where}: ssl-mode ${mode} needs the CA certificate`, 'add ssl-ca=/path/to/ca.pem to the URL (or tls.caFile)');
  }
  return {
    ...(files.ca === null ? {} : { ca: readPem(files.ca, MYSQL_TLS_QUERY_KEYS.caFile, where) }),
    ...(files.cert === null ? {} : { cert: readPem(files.cert, MYSQL_TLS_QUERY_KEYS.certFile, where) }),
    ...(files.key === null ? {} : { key: readPem(files.key, MYSQL_TLS_QUERY_KEYS.keyFile, where) }),
    rejectUnauthorized: mode !== 'required',
    verifyIdentity: mode === 'verify-identity',
  };
}

function tlsMode(query: URLSearchParams, where: string): TlsMode {
  const written = query.get(MYSQL_TLS_QUERY_KEYS.mode);
  if (written === null) {
    const anyFile = [MYSQL_TLS_QUERY_KEYS.caFile, MYSQL_TLS_QUERY_KEYS.certFile, MYSQL_TLS_QUERY_KEYS.keyFile].some((key) => query.has(key));
    return anyFile ? 'verify-identity' : 'disabled';
  }
  const mode = written.toLowerCase().replaceAll('_', '-');
  if ((MYSQL_TLS_MODES as readonly string[]).includes(mode)) return mode as TlsMode;
  if (mode === 'preferred') {
    throw new ConfigurationError(`${where}: ssl-mode=${written} is not supported`, 'sluice never falls back to plain text: use ssl-mode=required, verify-ca or verify-identity, or disabled');
  }
  throw new ConfigurationError(`${where}: unknown ssl-mode "${written}"`, `use one of ${MYSQL_TLS_MODES.join(', ')}`);
}

function readPem(file: string, key: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigurationError(`${where}: ${key} ${file} cannot be read`, `point ${key} at a readable PEM file`, { cause });
  }
}
