import avro from 'avsc';
import type { ChangeEvent, ChangeSource, Row, SinkChangeEvent } from '../../model/change-event.js';
import type { ColumnDefinition } from '../../model/column.js';
import { SluiceError } from '../../errors.js';
import { avroName } from './column-schema.js';
import { DecimalStringType } from './decimal-string-type.js';
import { envelopeSchema } from './envelope-schema.js';
import { FRAME_HEADER_BYTES, frameHeader, schemaId, unframe } from './framing.js';
import { UndecodableMessageError } from './undecodable-message-error.js';

/** Parses a schema with sluice's logical types (exact decimals). */
export function parseSchema(schema: avro.Schema | string): avro.Type {
  return avro.Type.forSchema(typeof schema === 'string' ? (JSON.parse(schema) as avro.Schema) : schema, {
    logicalTypes: { decimal: DecimalStringType },
    wrapUnions: false,
  });
}

/** A writer schema: its id, JSON text (as published in the schema topic) and parsed type. */
export interface WriterSchema {
  readonly id: string;
  readonly json: string;
  readonly type: avro.Type;
  /** Avro field name -> SQL column name, for the row records. */
  readonly columns: ReadonlyArray<{ readonly field: string; readonly column: string }>;
  /** The frame header of `id`, written before every message body. */
  readonly header: Buffer;
}

/** Builds the writer schema of a table's change events for its current columns. */
export function writerSchema(pipeline: string, db: string, table: string, columns: readonly ColumnDefinition[]): WriterSchema {
  const json = JSON.stringify(envelopeSchema(pipeline, db, table, columns));
  const id = schemaId(json);
  return {
    id,
    header: frameHeader(id),
    json,
    type: parseSchema(json),
    columns: columns.map((column) => ({ field: avroName(column.name), column: column.name })),
  };
}

/** Encodes a change event with a writer schema, framed with the schema id. */
export function encodeChangeEvent(schema: WriterSchema, event: ChangeEvent): Buffer {
  const source = event.source;
  const record = {
    before: rowRecord(schema, event.before),
    after: rowRecord(schema, event.after),
    source: {
      version: source.version,
      connector: source.connector,
      name: source.name,
      ts_ms: source.tsMs,
      snapshot: source.snapshot,
      db: source.db,
      table: source.table,
      server_id: source.serverId,
      gtid: source.gtid,
      file: source.file,
      pos: source.pos,
      row: source.row,
    },
    op: event.op,
    ts_ms: event.tsMs,
    transaction: event.transaction === null ? null : { id: event.transaction.id, total_order: event.transaction.totalOrder },
  };
  try {
    return encodeFramed(schema, record);
  } catch (cause) {
    throw new SluiceError(`cannot encode a change event of ${source.db}.${source.table}`, { cause, context: { gtid: source.gtid, row: source.row } });
  }
}

/** A row as the writer schema's row record (Avro field names, null for absent columns). */
function rowRecord(schema: WriterSchema, row: Row | null): Record<string, unknown> | null {
  if (row === null) return null;
  const record: Record<string, unknown> = {};
  for (const { field, column } of schema.columns) record[field] = row[column] ?? null;
  return record;
}

/** Reused for every encoding: the header and body are written here, then copied out once. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The framed message of a record: header and Avro body written into one buffer, one copy out (avsc's toBuffer copies, framing concatenated). */
function encodeFramed(schema: WriterSchema, record: unknown): Buffer {
  schema.header.copy(scratch, 0);
  let end = schema.type.encode(record, scratch, FRAME_HEADER_BYTES);
  if (end < 0) {
    // too small: avsc returns minus the missing bytes
    scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
    schema.header.copy(scratch, 0);
    end = schema.type.encode(record, scratch, FRAME_HEADER_BYTES);
  }
  const message = Buffer.allocUnsafe(end);
  scratch.copy(message, 0, 0, end);
  return message;
}

interface EnvelopeRecord {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: {
    version: string; connector: string; name: string; ts_ms: number; snapshot: ChangeSource['snapshot']; db: string; table: string;
    server_id: number; gtid: string | null; file: string | null; pos: number | null; row: number;
  };
  op: ChangeEvent['op'];
  ts_ms: number;
  transaction: { id: string; total_order: number } | null;
}

/** Reads the Avro bodies of one writer schema's change events (compiled once per schema). */
export interface ChangeEventReader<Event extends SinkChangeEvent = ChangeEvent> {
  /**
   * Decodes an unframed Avro body; row fields are mapped back to their SQL column names. A body
   * the writer schema cannot read throws an UndecodableMessageError.
   */
  read(body: Buffer, schemaId: string): Event;
}

/**
 * The reader of a writer schema's JSON, cached per schema: the Avro type and the field -> column
 * names are worked out once, so decoding a message allocates only the event itself. With
 * `columns`, it reads what the sink uses (a SinkChangeEvent): row images holding only those
 * columns, and of the envelope only the operation, ts_ms (as `tsMs`) and the source's ts_ms (as
 * `tsMs`), snapshot, db, table, gtid, file and pos; everything else is skipped in the bytes,
 * never decoded (Avro schema resolution against a reader schema without it), and when every
 * column's Avro name is its SQL name the decoded record is the event, not copied. `columns` is a cache key, so pass the same
 * set for every message of a table. A JSON text that is not a change-event schema throws an
 * UndecodableMessageError.
 */
export function changeEventReader(json: string, schemaId: string): ChangeEventReader;
export function changeEventReader(json: string, schemaId: string, columns: ReadonlySet<string> | undefined): ChangeEventReader<SinkChangeEvent>;
export function changeEventReader(json: string, schemaId: string, columns?: ReadonlySet<string>): ChangeEventReader<SinkChangeEvent> {
  if (columns === undefined) return cachedReader(readerCache, json, schemaId, () => compileReader(json));
  return cachedReader(readersOf(columns), json, schemaId, () => compileSinkReader(json, columns));
}

function cachedReader<Event extends SinkChangeEvent>(cache: Map<string, ChangeEventReader<Event>>, json: string, schemaId: string, compile: () => ChangeEventReader<Event>): ChangeEventReader<Event> {
  let reader = cache.get(json);
  if (reader === undefined) {
    try {
      reader = compile();
    } catch (cause) {
      throw new UndecodableMessageError(`the message cannot be read with its writer schema ${schemaId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { schemaId } });
    }
    cache.set(json, reader);
  }
  return reader;
}

/**
 * Decodes a framed change event. `resolveSchema` returns the writer schema JSON of an id (from the
 * schema topic); row fields are mapped back to their SQL column names. Bytes that can never be
 * decoded (bad framing, a body the writer schema cannot read, a writer schema that is not a
 * change-event schema) throw an UndecodableMessageError; a failure of `resolveSchema` is thrown
 * as it is (it may pass: the caller retries).
 */
export async function decodeChangeEvent(message: Buffer, resolveSchema: (id: string) => Promise<string>): Promise<ChangeEvent> {
  const { schemaId: id, body } = unframe(message);
  const json = await resolveSchema(id);
  return changeEventReader(json, id).read(body, id);
}

/** The readers of whole row images, by writer schema JSON. */
const readerCache = new Map<string, ChangeEventReader>();

/** The sink's readers, their row images narrowed to a set of columns: per set, by writer schema JSON. */
const projectedReaders = new WeakMap<ReadonlySet<string>, Map<string, ChangeEventReader<SinkChangeEvent>>>();

function readersOf(columns: ReadonlySet<string>): Map<string, ChangeEventReader<SinkChangeEvent>> {
  let readers = projectedReaders.get(columns);
  if (readers === undefined) projectedReaders.set(columns, (readers = new Map<string, ChangeEventReader<SinkChangeEvent>>()));
  return readers;
}

interface RowFieldSchema {
  readonly name: string;
  readonly 'sluice.column'?: string;
}

interface EnvelopeField {
  readonly name: string;
  readonly type: unknown;
}

interface EnvelopeSchema {
  readonly fields: EnvelopeField[];
}

/** A change-event schema's `before` field and the row record it defines (`after` names it). */
function rowRecordOf(schema: EnvelopeSchema): { before: EnvelopeField; rowSchema: { fields: RowFieldSchema[] } } {
  const before = schema.fields[0];
  const rowSchema = (Array.isArray(before?.type) ? before.type[1] : undefined) as { fields: RowFieldSchema[] } | undefined;
  if (before?.name !== 'before' || rowSchema === undefined || !Array.isArray(rowSchema.fields)) throw new TypeError('not a change-event schema (no before row record)');
  return { before, rowSchema };
}

function columnOf(field: RowFieldSchema): string {
  return field['sluice.column'] ?? field.name;
}

/**
 * `before` with its row record narrowed to the fields of `keep`'s columns, and those fields: the
 * row record is defined once, in `before` (`after` names it), so narrowing it there narrows both
 * images.
 */
function narrowedBefore(before: EnvelopeField, rowSchema: { fields: RowFieldSchema[] }, keep: ReadonlySet<string> | undefined): { field: EnvelopeField; kept: RowFieldSchema[] } {
  const kept = keep === undefined ? rowSchema.fields : rowSchema.fields.filter((field) => keep.has(columnOf(field)));
  return { field: { ...before, type: ['null', { ...rowSchema, fields: kept }] }, kept };
}

/** A row record's fields -> a Row of their SQL column names (null stays null). */
function rowMapper(fields: readonly RowFieldSchema[]): (value: Record<string, unknown> | null) => Row | null {
  const names = fields.map((field) => field.name);
  const columns = fields.map(columnOf);
  const count = names.length;
  return (value) => {
    if (value === null) return null;
    const row: Row = {};
    for (let index = 0; index < count; index += 1) row[columns[index]] = value[names[index]] as Row[string];
    return row;
  };
}

/** Decodes `body` with `reader` (resolving it from its writer's schema with `resolver`, if given); what cannot be read is an UndecodableMessageError. */
function decodeBody<Record>(reader: avro.Type, resolver: avro.Resolver | undefined, body: Buffer, schemaId: string): Record {
  try {
    return (resolver === undefined ? reader.fromBuffer(body) : reader.fromBuffer(body, resolver)) as Record;
  } catch (cause) {
    throw new UndecodableMessageError(`the message cannot be read with its writer schema ${schemaId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { schemaId } });
  }
}

/** The source fields the sink reads (see SinkChangeEvent). */
const SINK_SOURCE_FIELDS: ReadonlySet<string> = new Set(['ts_ms', 'snapshot', 'db', 'table', 'gtid', 'file', 'pos']);

/** The envelope as the sink's reader schema decodes it: a SinkChangeEvent, its rows under Avro names. */
interface SinkRecord {
  readonly op: SinkChangeEvent['op'];
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly tsMs: number;
  readonly source: SinkChangeEvent['source'];
}

/**
 * The sink's reader of a writer schema (see changeEventReader): a reader schema of `before`
 * (its row record narrowed to `keep`), `after`, `op`, `ts_ms` and `source` with only
 * SINK_SOURCE_FIELDS, each `ts_ms` read as `tsMs` (an alias). A writer schema without those
 * fields is read whole, then narrowed.
 */
function compileSinkReader(json: string, keep: ReadonlySet<string>): ChangeEventReader<SinkChangeEvent> {
  const schema = JSON.parse(json) as EnvelopeSchema;
  const { before, rowSchema } = rowRecordOf(schema);
  const fieldNamed = (name: string): EnvelopeField | undefined => schema.fields.find((field) => field.name === name);
  const [after, source, op, tsMs] = [fieldNamed('after'), fieldNamed('source'), fieldNamed('op'), fieldNamed('ts_ms')];
  const sourceType = source?.type as { readonly fields?: ReadonlyArray<{ readonly name: string }> } | undefined;
  const sourceFields = sourceType?.fields?.filter((field) => SINK_SOURCE_FIELDS.has(field.name)) ?? [];
  if (after === undefined || source === undefined || op === undefined || tsMs === undefined || sourceFields.length !== SINK_SOURCE_FIELDS.size) return compileReader(json, keep);
  const { field: narrowed, kept } = narrowedBefore(before, rowSchema, keep);
  const reader = parseSchema({
    ...schema,
    fields: [
      narrowed,
      after,
      { ...source, type: { ...sourceType, fields: sourceFields.map((field) => (field.name === 'ts_ms' ? renamedTsMs(field) : field)) } },
      op,
      renamedTsMs(tsMs),
    ],
  } as avro.Schema);
  const resolver = reader.createResolver(parseSchema(json));
  // the decoded record is the event when its rows' Avro names are their column names
  if (kept.every((field) => columnOf(field) === field.name)) return { read: (body, schemaId) => decodeBody<SinkChangeEvent>(reader, resolver, body, schemaId) };
  const toRow = rowMapper(kept);
  return {
    read(body: Buffer, schemaId: string): SinkChangeEvent {
      const record = decodeBody<SinkRecord>(reader, resolver, body, schemaId);
      return { op: record.op, before: toRow(record.before), after: toRow(record.after), tsMs: record.tsMs, source: record.source };
    },
  };
}

/** A `ts_ms` field of the writer, read as `tsMs` (SinkChangeEvent's name). */
function renamedTsMs(field: { readonly name: string }): object {
  return { ...field, name: 'tsMs', aliases: [field.name] };
}

/** The reader of whole events (the row images narrowed to `keep`, when given). */
function compileReader(json: string, keep?: ReadonlySet<string>): ChangeEventReader {
  const writer = parseSchema(json);
  const schema = JSON.parse(json) as EnvelopeSchema;
  const { before, rowSchema } = rowRecordOf(schema);
  const { field: narrowedField, kept } = narrowedBefore(before, rowSchema, keep);
  const narrowed = kept.length < rowSchema.fields.length;
  const reader = narrowed ? parseSchema({ ...schema, fields: [narrowedField, ...schema.fields.slice(1)] } as avro.Schema) : writer;
  const resolver = narrowed ? reader.createResolver(writer) : undefined;
  const toRow = rowMapper(kept);
  return {
    read(body: Buffer, schemaId: string): ChangeEvent {
      const record = decodeBody<EnvelopeRecord>(reader, resolver, body, schemaId);
      const source = record.source;
      return {
        op: record.op,
        before: toRow(record.before),
        after: toRow(record.after),
        source: {
          version: source.version,
          connector: source.connector,
          name: source.name,
          tsMs: source.ts_ms,
          snapshot: source.snapshot,
          db: source.db,
          table: source.table,
          serverId: source.server_id,
          gtid: source.gtid,
          file: source.file,
          pos: source.pos,
          row: source.row,
        },
        tsMs: record.ts_ms,
        transaction: record.transaction === null ? null : { id: record.transaction.id, totalOrder: record.transaction.total_order },
      };
    },
  };
}
