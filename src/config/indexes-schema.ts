import { z } from 'zod';
import { parseFieldPath } from './field-path.js';

/**
 * The `indexes` section of the pipeline file: managed indexes, each a versioned index (`name-vN`
 * behind the alias `name`, migrated by `sluice indexes migrate`) or, with `partition`, a daily or
 * monthly partitioned index (maintained by `sluice indexes maintain`). Kept apart from the main
 * schema (src/config/pipeline-config.ts imports it).
 */

/** Index and alias names: lowercase, no characters the engines refuse. */
export const INDEX_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,200}$/;

const INDEX_DURATION = /^\d+(?:ms|s|m|h|d)$/;

function fieldPath(what: string) {
  return z
    .string()
    .min(1)
    .superRefine((path, context) => {
      try {
        parseFieldPath(path);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .describe(`${what}: a field path like author.name, or meta["first.name"] for a name with dots`);
}

const migrationStepSchema = z
  .union([
    z.strictObject({ rename: z.strictObject({ from: fieldPath('the field to rename'), to: fieldPath('its new path') }) }),
    z.strictObject({ remove: fieldPath('the field to remove') }),
    z.strictObject({ painless: z.string().min(1).describe('Painless code run on ctx._source, e.g. ctx._source.total = ctx._source.price * 2') }),
  ])
  .describe('one of { rename: { from, to } }, { remove: path } or { painless: code }');

const managedIndexSchema = z
  .strictObject({
    version: z.int().min(1).default(1).describe('the version of the index (1, 2, ...); raise it to migrate'),
    partition: z.enum(['daily', 'monthly']).optional().describe('daily (name-vN-yyyy.MM.dd) or monthly (name-vN-yyyy.MM) partitions; omit for one versioned index'),
    timestampField: z.string().min(1).optional().describe("the field holding each document's time, e.g. updated_at (catch-up pass of a migration; partition of a document)"),
    keepOldIndex: z.boolean().default(true).describe('true (default) keeps name-v(N-1) after a migration, false deletes it'),
    maxAge: z.string().regex(INDEX_DURATION, 'must be a duration like 30d or 12h').optional().describe('partitions older than this are deleted by maintenance, and older writes refused, e.g. 30d'),
    windows: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "_" and "-"'), z.string().regex(INDEX_DURATION, 'must be a duration like 7d'))
      .optional()
      .describe('window aliases name-<key> over the partitions of the last <duration>, e.g. { last-7d: 7d, last-30d: 30d }'),
    settings: z.record(z.string(), z.unknown()).optional().describe('index settings, e.g. { number_of_shards: 1 }'),
    mappings: z.record(z.string(), z.unknown()).optional().describe('the mappings of the current version, e.g. { properties: { title: { type: text } } }'),
    migrations: z
      .record(z.string().regex(/^[1-9]\d*$/, 'must be a version number'), z.array(migrationStepSchema))
      .optional()
      .describe('for each version N, the steps from N-1 to N, e.g. { 2: [ { rename: { from: title, to: name } } ] }'),
  })
  .superRefine((index, context) => {
    if (index.partition !== undefined && index.timestampField === undefined) {
      context.addIssue({ code: 'custom', path: ['timestampField'], message: 'is required for a partitioned index (it chooses the partition)' });
    }
    if (index.partition === undefined && (index.maxAge !== undefined || index.windows !== undefined)) {
      context.addIssue({ code: 'custom', path: [index.maxAge !== undefined ? 'maxAge' : 'windows'], message: 'applies to partitioned indexes only (set partition: daily or monthly)' });
    }
    for (const version of Object.keys(index.migrations ?? {})) {
      if (Number(version) < 2 || Number(version) > index.version) {
        context.addIssue({ code: 'custom', path: ['migrations', version], message: `migrates to version ${version}, outside 2..${index.version} (the version)` });
      }
    }
  })
  .describe('a mapping with version and optionally partition, timestampField, keepOldIndex, maxAge, windows, settings, mappings, migrations');

/** The `indexes` section: managed index (alias) names to their definitions. */
export const indexesSchema = z
  .record(z.string().regex(INDEX_NAME_PATTERN, 'must be an index name: lowercase letters, digits, "_" and "-"'), managedIndexSchema)
  .default(() => ({}))
  .describe('a mapping of index (alias) names to definitions, e.g. { films: { version: 2, migrations: {...} } }');

/** One managed index as validated, every default applied. */
export type ManagedIndexConfig = z.infer<typeof managedIndexSchema>;

/**
 * `sink.changeLog`: sluice's change log (every change event the sink handles, in the daily
 * partitioned index sluice-changes-<pipeline>). Off by default: it costs one more bulk request per
 * page and the storage of every before/after image for `maxAge`.
 */
export const changeLogSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('true writes every change event to sluice-changes-<pipeline> (default false)'),
    maxAge: z.string().regex(INDEX_DURATION, 'must be a duration like 7d').default('7d').describe('how long entries are kept, e.g. 7d'),
  })
  .describe('a mapping with enabled and maxAge');

/**
 * `sink.deadLetters`: dead letters are always written to the topic `<prefix>.__dead_letters`; with
 * `index` (the default) they are also kept in the monthly partitioned index
 * sluice-dead-letters-<pipeline> for `maxAge`, searchable by time. Letters are rare, so the cost is
 * one small write per letter.
 */
export const deadLettersSchema = z
  .strictObject({
    index: z.boolean().default(true).describe('true (default) also keeps dead letters in sluice-dead-letters-<pipeline>; false keeps them in Kafka only'),
    maxAge: z.string().regex(INDEX_DURATION, 'must be a duration like 90d').default('90d').describe('how long the index keeps them, e.g. 90d'),
  })
  .describe('a mapping with index and maxAge');
