/**
 * A column of a captured table, in the neutral model every layer shares (descriptors, the Avro
 * layer, sinks). Each source maps its own type system onto it: the MySQL source parses
 * information_schema's COLUMN_TYPE strings and zongji's binlog metadata into the same definition
 * (src/sources/mysql/column-definition.ts).
 */
export interface ColumnDefinition {
  readonly name: string;
  /** Lower-case base type: 'int', 'bigint', 'decimal', 'varchar', 'datetime', 'json', ... */
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
