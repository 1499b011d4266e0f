import type avro from 'avsc';
import type { ColumnDefinition } from '../../model/column.js';
import { avroName, rowSchema } from './column-schema.js';

/**
 * The Avro schema of a table's change events: Debezium's envelope (before, after, source, op,
 * ts_ms, transaction) around the table's row record.
 */
export function envelopeSchema(pipeline: string, db: string, table: string, columns: readonly ColumnDefinition[]): avro.Schema {
  const namespace = `sluice.${avroName(pipeline)}`;
  const row = rowSchema(namespace, db, table, columns);
  const rowName = `${namespace}.${(row as { name: string }).name}`;
  return {
    type: 'record',
    name: `${avroName(db)}_${avroName(table)}_Envelope`,
    namespace,
    fields: [
      { name: 'before', type: ['null', row], default: null },
      { name: 'after', type: ['null', rowName], default: null },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          namespace: 'sluice',
          fields: [
            { name: 'version', type: 'string' },
            { name: 'connector', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'ts_ms', type: 'long' },
            { name: 'snapshot', type: { type: 'enum', name: 'SnapshotMarker', symbols: ['true', 'last', 'incremental', 'false'] }, default: 'false' },
            { name: 'db', type: 'string' },
            { name: 'table', type: 'string' },
            { name: 'server_id', type: 'long' },
            { name: 'gtid', type: ['null', 'string'], default: null },
            { name: 'file', type: ['null', 'string'], default: null },
            { name: 'pos', type: ['null', 'long'], default: null },
            { name: 'row', type: 'int', default: 0 },
          ],
        },
      },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: 'long' },
      {
        name: 'transaction',
        type: [
          'null',
          {
            type: 'record',
            name: 'Transaction',
            namespace: 'sluice',
            fields: [
              { name: 'id', type: 'string' },
              { name: 'total_order', type: 'long' },
            ],
          },
        ],
        default: null,
      },
    ],
  } as avro.Schema;
}
