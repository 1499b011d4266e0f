import { ConfigurationError, describeError } from '../errors.js';
import { nodeQuery } from './node-query.js';
import type { DescriptorNode, DocumentDescriptor } from './document-descriptor.js';
import { jsonSelectOf, type JsonSelect } from './json-select.js';
import type { Queryable } from './sql.js';

/**
 * Checks the SQL the pipeline file writes into build queries (`where` conditions and computed
 * fields) against the database, before anything runs: each piece is tried alone in its node's
 * query with `LIMIT 0` (no row is read), so a typo fails here with a ConfigurationError naming its
 * key, instead of stopping the sink at its first build. A document with `buildIn: database` has
 * its JSON query tried for no id: a server without JSON_ARRAYAGG's ORDER BY and LIMIT (MySQL,
 * MariaDB before 10.5) fails here, naming `buildIn`.
 */
export async function checkDocumentQueries(queries: Queryable, descriptors: readonly DocumentDescriptor[], file: string): Promise<void> {
  for (const descriptor of descriptors) {
    for (const node of descriptor.nodes) {
      if (node.where !== undefined) await tryQuery(queries, { ...node, computed: [] }, `${node.path}.where`, file);
      for (const field of node.computed) await tryQuery(queries, { ...node, where: undefined, computed: [field] }, `${node.path}.computed.${field.name}`, file);
    }
    const select = descriptor.buildIn === 'database' ? jsonSelectOf(descriptor) : undefined;
    if (select !== undefined) await tryJsonSelect(queries, select, `${descriptor.root.path}.buildIn`, file);
  }
}

async function tryJsonSelect(queries: Queryable, select: JsonSelect, key: string, file: string): Promise<void> {
  try {
    await queries.query({ sql: select.sql, values: [...select.constants, [null]] });
  } catch (error) {
    throw new ConfigurationError(`${file}: ${key}: the database refuses the query that makes these documents: ${describeError(error)}`, `remove ${key} (the sink builds the documents): it needs MariaDB 10.5 or later`, {
      cause: error,
      context: { file, key },
    });
  }
}

async function tryQuery(queries: Queryable, node: DescriptorNode, key: string, file: string): Promise<void> {
  const query = nodeQuery(node);
  try {
    await queries.query(`${query.select} FROM ${query.from}${query.where === undefined ? '' : ` WHERE (${query.where})`} ORDER BY ${query.orderBy} LIMIT 0`);
  } catch (error) {
    const tables = [node.table.table, node.join?.link?.table.table].filter((name) => name !== undefined).join(' and ');
    throw new ConfigurationError(
      `${file}: ${key}: the database refuses it: ${describeError(error)}`,
      `write one SQL expression on the columns of ${tables} (qualify a column as ${tables.split(' and ').map((name) => `${name}.column`).join(' or ')})`,
      { cause: error, context: { file, key } },
    );
  }
}
