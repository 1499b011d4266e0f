import { randomBytes } from 'node:crypto';

/**
 * A name no other test (or earlier run) uses, valid as a MariaDB database, a Kafka topic and an
 * Elasticsearch index: lowercase letters, digits and underscores, starting with `prefix`.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
