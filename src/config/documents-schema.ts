import { z } from 'zod';
import type { DocumentDefinition, RelationDefinition } from './document-definition.js';

/**
 * The schema of the pipeline file's `documents` section. It checks the shape only; identifiers
 * are checked against the database when a sink starts (compileDocument).
 */

const IDENTIFIER = /^[^`\s.][^`]{0,63}$/;
const TABLE_NAME = /^(?:[^`\s.][^`.]{0,63}\.)?[^`\s.][^`.]{0,63}$/;
const INDEX_NAME = /^[a-z0-9][a-z0-9._+-]{0,254}$/;
const DOCUMENT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

const column = z.string().regex(IDENTIFIER, 'must be a column name (no backquote, no leading dot or space)').describe('a column name, e.g. title');
const table = z
  .string()
  .regex(TABLE_NAME, 'must be a table name or database.table (no backquote)')
  .describe('a table name or database.table, e.g. film');

const fields = z
  .union([z.array(column).min(1), z.record(z.string().min(1), column)], { error: 'must be a list of columns or a mapping of output names to columns' })
  .describe('a list of columns, e.g. [title, length], or a mapping of output names to columns, e.g. { name: title }');

/**
 * SQL text from the pipeline file (a `where` condition, a computed expression). It is trusted
 * configuration, pasted into the build query as written, like a view's definition; the check
 * only keeps it to one expression: no `;`, no comment that could hide the rest of the query.
 */
const sqlExpression = (example: string): z.ZodString =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .refine((text) => !text.includes(';'), { message: 'must be one SQL expression (no ";")' })
    .refine((text) => !/--|#|\/\*/.test(text), { message: 'must be one SQL expression without comments (--, #, /*)' })
    .describe(`one SQL expression, e.g. ${example}`);

const computed = z
  .record(z.string().regex(DOCUMENT_NAME, 'must be a name of letters, digits, "_" and "-" starting with a letter'), sqlExpression("CONCAT(first_name, ' ', last_name)"))
  .describe("a mapping of output names to SQL expressions on the row, e.g. { full_name: \"CONCAT(first_name, ' ', last_name)\" }");

const ORDER_TERM = /^(?:[^`\s.]+\.)?[^`\s.]+(?:\s+(?:asc|desc))?$/i;
const orderTerm = z.string().trim().regex(ORDER_TERM, 'must be column, column desc or table.column asc');
const orderBy = z
  .union([orderTerm, z.array(orderTerm).min(1)], { error: 'must be a column (column desc, table.column asc) or a list of them' })
  .describe('a column or a list of columns, each optionally followed by asc or desc, e.g. [position, last_name desc]');

const through = z
  .strictObject({
    table,
    foreignKey: column,
    otherKey: column,
    references: column.optional().describe("the embedded table's column otherKey refers to (default: its primary key)"),
  })
  .describe('a mapping with the link table, foreignKey (its column referring to the parent) and otherKey (its column referring to the embedded table)');

const relationSchema: z.ZodType<RelationDefinition> = z
  .strictObject({
    type: z.enum(['manyToOne', 'oneToMany', 'manyToMany']).describe('manyToOne, oneToMany or manyToMany'),
    table,
    foreignKey: column.optional(),
    references: column.optional(),
    through: through.optional(),
    fields: fields.optional(),
    scalar: column.optional().describe('one column whose value is embedded instead of an object, e.g. name'),
    computed: computed.optional(),
    orderBy: orderBy.optional(),
    where: sqlExpression('active = 1').optional(),
    limit: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').optional().describe('the most rows to embed, e.g. 5'),
    get relations(): z.ZodOptional<typeof relationsSchema> {
      return relationsSchema.optional();
    },
  })
  .superRefine((relation, context) => {
    const problem = (key: string, message: string, fix: string): void => context.addIssue({ code: 'custom', path: [key], message, params: { fix } });
    if (relation.type === 'manyToMany') {
      if (relation.through === undefined) problem('through', 'is required for a manyToMany relation', 'add through: { table: <link table>, foreignKey: <its column referring to the parent>, otherKey: <its column referring to the embedded table> }');
      if (relation.foreignKey !== undefined) problem('foreignKey', 'is not allowed for a manyToMany relation', 'remove it and write the link columns in through: { table, foreignKey, otherKey }');
    } else {
      if (relation.foreignKey === undefined) {
        problem(
          'foreignKey',
          `is required for a ${relation.type} relation`,
          relation.type === 'manyToOne'
            ? "add foreignKey: the parent's column holding the embedded row's key, e.g. language_id"
            : "add foreignKey: the embedded table's column holding the parent's key, e.g. customer_id",
        );
      }
      if (relation.through !== undefined) problem('through', `is not allowed for a ${relation.type} relation`, 'remove through (only manyToMany relations have a link table)');
    }
    if (relation.scalar !== undefined && relation.fields !== undefined) problem('fields', 'is not allowed together with scalar', 'remove fields, or remove scalar to embed an object');
    if (relation.scalar !== undefined && relation.relations !== undefined) problem('relations', 'is not allowed together with scalar', 'remove relations, or remove scalar to embed an object');
    if (relation.scalar !== undefined && relation.computed !== undefined) problem('computed', 'is not allowed together with scalar', 'remove computed, or remove scalar to embed an object');
    if (relation.type === 'manyToOne') {
      if (relation.orderBy !== undefined) problem('orderBy', 'is not allowed for a manyToOne relation (it embeds one row)', 'remove orderBy, or use a oneToMany or manyToMany relation');
      if (relation.limit !== undefined) problem('limit', 'is not allowed for a manyToOne relation (it embeds one row)', 'remove limit');
    }
  })
  .describe('a mapping with type (manyToOne | oneToMany | manyToMany), table, and foreignKey or through, optionally references, fields or scalar, computed, orderBy, where, limit, relations');

const relationsSchema = z
  .record(z.string().regex(DOCUMENT_NAME, 'must be a name of letters, digits, "_" and "-" starting with a letter'), relationSchema)
  .describe('a mapping of relation names to relations');

/** One document family. */
export const documentDefinitionSchema: z.ZodType<DocumentDefinition> = z
  .strictObject({
    index: z
      .string()
      .regex(INDEX_NAME, 'must be a lowercase Elasticsearch index name')
      .optional()
      .describe('a lowercase index or alias name, e.g. sakila-films'),
    table,
    id: column.optional(),
    fields: fields.optional(),
    computed: computed.optional(),
    relations: relationsSchema.optional(),
    settings: z.record(z.string(), z.unknown()).optional().describe('index settings, e.g. { number_of_shards: 1 }'),
    mappings: z.record(z.string(), z.unknown()).optional().describe('index mappings, e.g. { properties: { title: { type: text } } }'),
    buildIn: z
      .enum(['sink', 'database'])
      .optional()
      .describe("where the documents' JSON is made: sink (the default) or database (MariaDB 10.5+ makes it in one query per batch)"),
  })
  .describe('a mapping with table and optionally index, id, fields, computed, relations, settings, mappings, buildIn');

/** The `documents` section: document name -> definition. */
export const documentsSchema = z
  .record(z.string().regex(DOCUMENT_NAME, 'must be a name of letters, digits, "_" and "-" starting with a letter'), documentDefinitionSchema)
  .default(() => ({}))
  .describe('a mapping of document names to definitions, e.g. { films: { table: film } } (may be empty: {})');
