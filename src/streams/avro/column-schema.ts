import type avro from 'avsc';
import type { ColumnDefinition } from '../../model/column.js';

const INT_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'year']);
const TEXT_TYPES = new Set([
  'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json', 'enum', 'set', 'uuid', 'inet4', 'inet6',
]);
const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp', 'time']);

/**
 * The Avro type of a column's values (without the null branch):
 * - TINYINT..MEDIUMINT, INT (signed), YEAR: int; INT UNSIGNED: long;
 * - BIGINT: decimal(19,0), BIGINT UNSIGNED: decimal(20,0), DECIMAL(p,s): decimal(p,s), all bytes
 *   with exact decimal strings as values;
 * - FLOAT: float, DOUBLE: double;
 * - DATE, DATETIME, TIMESTAMP, TIME: string ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS[.ffffff]' with
 *   TIMESTAMP in UTC and DATETIME as stored, '[-]HHH:MM:SS[.ffffff]'), tagged with `sluice.type`;
 * - character types, ENUM, SET, JSON: string; binary types, BLOBs, BIT, geometry: bytes.
 */
export function columnAvroType(column: ColumnDefinition): avro.Schema {
  const { baseType } = column;
  if (INT_TYPES.has(baseType)) return column.unsigned && baseType === 'int' ? 'long' : 'int';
  if (baseType === 'bigint') return { type: 'bytes', logicalType: 'decimal', precision: column.unsigned ? 20 : 19, scale: 0 };
  if (baseType === 'decimal') return { type: 'bytes', logicalType: 'decimal', precision: column.precision ?? 10, scale: column.scale ?? 0 };
  if (baseType === 'float') return 'float';
  if (baseType === 'double' || baseType === 'real' || baseType === 'double precision') return 'double';
  if (TEMPORAL_TYPES.has(baseType)) {
    return { type: 'string', 'sluice.type': baseType, ...(column.fsp === undefined ? {} : { 'sluice.fsp': column.fsp }) };
  }
  if (TEXT_TYPES.has(baseType)) {
    return baseType === 'enum' || baseType === 'set' || baseType === 'json'
      ? ({ type: 'string', 'sluice.type': baseType, ...(column.enumValues === undefined ? {} : { 'sluice.values': column.enumValues }) })
      : 'string';
  }
  return baseType === 'bit' ? ({ type: 'bytes', 'sluice.type': 'bit', 'sluice.bits': column.bits ?? 1 }) : 'bytes';
}

/** An Avro-safe name: letters, digits and underscores, not starting with a digit. */
export function avroName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * The record schema of a table's rows. Every field is nullable (null first, default null), so a
 * row image validates whatever the column's NULL constraint, and a column added later decodes
 * older messages as null. Column names that are not Avro names keep their SQL name in `sluice.column`.
 */
export function rowSchema(namespace: string, db: string, table: string, columns: readonly ColumnDefinition[]): avro.Schema {
  return {
    type: 'record',
    name: `${avroName(db)}_${avroName(table)}_Value`,
    namespace,
    fields: columns.map((column) => ({
      name: avroName(column.name),
      type: ['null', columnAvroType(column)],
      default: null,
      ...(avroName(column.name) === column.name ? {} : { 'sluice.column': column.name }),
    })),
  } as avro.Schema;
}
