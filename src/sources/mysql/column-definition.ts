import type { ColumnDefinition } from '../../model/column.js';

/**
 * Parses a COLUMN_TYPE string as information_schema reports it ("bigint(20) unsigned",
 * "decimal(12,4)", "datetime(6)", "enum('a','b')") or as zongji synthesises it from binlog
 * metadata into the neutral {@link ColumnDefinition}: both sources of truth map to the same one.
 */
export function parseColumnType(name: string, columnType: string): ColumnDefinition {
  const text = columnType.trim().toLowerCase();
  const match = /^([a-z0-9 ]+?)\s*(?:\((.*)\))?\s*(unsigned)?\s*(zerofill)?$/s.exec(text);
  const baseType = (match?.[1] ?? text).trim().replace(/\s+/g, ' ');
  const args = match?.[2];
  const unsigned = match?.[3] !== undefined;
  switch (baseType) {
    case 'decimal':
    case 'numeric':
    case 'fixed': {
      const [precision, scale] = (args ?? '10,0').split(',').map((part) => Number(part.trim()));
      return { name, baseType: 'decimal', unsigned, precision: precision ?? 10, scale: scale ?? 0 };
    }
    case 'datetime':
    case 'timestamp':
    case 'time':
      return { name, baseType, unsigned, fsp: args === undefined ? 0 : Number(args) };
    case 'bit':
      return { name, baseType, unsigned, bits: args === undefined ? 1 : Number(args) };
    case 'enum':
    case 'set':
      return { name, baseType, unsigned, enumValues: args === undefined ? [] : parseQuotedList(args) };
    default:
      return { name, baseType: baseType === 'integer' ? 'int' : baseType === 'bool' || baseType === 'boolean' ? 'tinyint' : baseType, unsigned };
  }
}

/** Parses "'a','b,c','it''s'" into ['a', 'b,c', "it's"]. */
export function parseQuotedList(text: string): string[] {
  const values: string[] = [];
  const pattern = /'((?:[^']|'')*)'/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) values.push((match[1] ?? '').replaceAll("''", "'"));
  return values;
}
