import type { ColumnValue, Row } from './change-event.js';
import type { ColumnDefinition } from './column.js';

const UUID_TYPES = new Set(['uuid']);

/**
 * Brings a value read by mysql2 (snapshot) or zongji (binlog) to the one form sluice carries:
 * BIGINT and DECIMAL as exact strings, JSON as its text, UUID as its canonical string, binary as
 * Buffer, temporal types as the strings the server printed (UTC for TIMESTAMP), null as null.
 */
export function normalizeValue(column: ColumnDefinition, value: unknown): ColumnValue {
  if (value === null || value === undefined) return null;
  switch (column.baseType) {
    case 'bigint':
    case 'decimal':
      return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
    case 'json':
      return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value);
    default:
      break;
  }
  if (UUID_TYPES.has(column.baseType) && Buffer.isBuffer(value) && value.length === 16) {
    const hex = value.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  if (Buffer.isBuffer(value) || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Normalizes every column of a row, keeping only the given columns, in their order. */
export function normalizeRow(columns: readonly ColumnDefinition[], row: Record<string, unknown>): Row {
  const normalized: Row = {};
  for (const column of columns) normalized[column.name] = normalizeValue(column, row[column.name]);
  return normalized;
}
