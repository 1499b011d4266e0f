import type { ColumnValue } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';

/**
 * Column values as they appear in documents, in JSON: integers as numbers (BIGINT too, while a
 * double holds it exactly; a string beyond 2^53), DECIMAL as its exact string, DATETIME as
 * `YYYY-MM-DDTHH:MM:SS[.ffffff]`, TIMESTAMP the same in UTC with `Z`, DATE and TIME as MySQL
 * prints them, JSON columns parsed, SET columns as the list of their members (in the column's
 * order, `[]` for the empty set), binary values in base64.
 */
export function documentValue(column: ColumnDefinition, value: ColumnValue): unknown {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  switch (column.baseType) {
    case 'bigint': {
      const number = Number(value);
      return Number.isSafeInteger(number) ? number : String(value);
    }
    case 'datetime':
      return typeof value === 'string' ? value.replace(' ', 'T') : value;
    case 'timestamp':
      return typeof value === 'string' && !value.startsWith('0000') ? `${value.replace(' ', 'T')}Z` : value;
    case 'set':
      return typeof value === 'string' ? (value === '' ? [] : value.split(',')) : value;
    case 'json':
      try {
        return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
      } catch {
        return value;
      }
    default:
      return value;
  }
}
