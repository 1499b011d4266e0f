import type { ConnectionOptions } from 'mysql2';
import { redactUrl } from '../../config/redact-url.js';
import { ConfigurationError } from '../../errors.js';
import { mysqlTlsOptions } from './tls-options.js';

export { redactUrl };

/**
 * mysql2 connection options for a mysql:// URL. Values come back exact: BIGINT and DECIMAL as
 * strings when a JavaScript number cannot hold them, DATETIME/TIMESTAMP interpreted in UTC. TLS
 * comes from the query string (see {@link mysqlTlsOptions}).
 */
export function mysqlConnectionOptions(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigurationError(`invalid MySQL URL "${redactUrl(url)}"`, 'use mysql://user:password@host:port[/database]', { cause });
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigurationError(
      `invalid MySQL URL "${redactUrl(url)}": the scheme must be mysql://`,
      'use mysql://user:password@host:port[/database]',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const ssl = mysqlTlsOptions(parsed.searchParams, `MySQL URL "${redactUrl(url)}"`);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    ...(database === '' ? {} : { database }),
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
    ...(ssl === undefined ? {} : { ssl }),
  };
}
