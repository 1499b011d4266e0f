/**
 * The SQL type of a column, parsed from a COLUMN_TYPE string as information_schema reports it
 * ("bigint(20) unsigned", "decimal(12,4)", "datetime(6)", "enum('a','b')") or as zongji
 * synthesises it from binlog metadata. Both sources of truth map to the same definition.
 */
export interface ColumnDefinition {
  readonly name: string;
  /** Lower-case base type: 'int', 'bigint', 'decimal', 'varchar', 'datetime', ... */
  readonly baseType: string;
  readonly unsigned: boolean;
  /** DECIMAL precision. */
  readonly precision?: number;
  /** DECIMAL scale. */
  readonly scale?: number;
  /** Fractional-second digits of DATETIME, TIMESTAMP and TIME. */
  readonly fsp?: number;
  /** Number of bits of BIT(n). */
  readonly bits?: number;
  readonly enumValues?: readonly string[];
}

/** Parses a COLUMN_TYPE string into a {@link ColumnDefinition}. */
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
