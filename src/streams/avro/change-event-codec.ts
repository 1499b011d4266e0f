import avro from 'avsc';
import type { ChangeEvent, ChangeSource, Row } from '../../model/change-event.js';
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
export interface ChangeEventReader {
  /**
   * Decodes an unframed Avro body; row fields are mapped back to their SQL column names. A body
   * the writer schema cannot read throws an UndecodableMessageError.
   */
  read(body: Buffer, schemaId: string): ChangeEvent;
}

/**
 * The reader of a writer schema's JSON, cached per schema: the Avro type and the field -> column
 * names are worked out once, so decoding a message allocates only the event itself. A JSON text
 * that is not a change-event schema throws an UndecodableMessageError.
 */
export function changeEventReader(json: string, schemaId: string): ChangeEventReader {
  let reader = readerCache.get(json);
  if (reader === undefined) {
    try {
      reader = compileReader(json);
    } catch (cause) {
      throw new UndecodableMessageError(`the message cannot be read with its writer schema ${schemaId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { schemaId } });
    }
    readerCache.set(json, reader);
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

const readerCache = new Map<string, ChangeEventReader>();

function compileReader(json: string): ChangeEventReader {
  const type = parseSchema(json);
  const schema = JSON.parse(json) as { fields: Array<{ name: string; type: unknown[] }> };
  const rowSchema = schema.fields[0]?.type[1] as { fields: Array<{ name: string; 'sluice.column'?: string }> };
  const fields = rowSchema.fields.map((field) => field.name);
  const columns = rowSchema.fields.map((field) => field['sluice.column'] ?? field.name);
  const count = fields.length;
  const toRow = (value: Record<string, unknown> | null): Row | null => {
    if (value === null) return null;
    const row: Row = {};
    for (let index = 0; index < count; index += 1) row[columns[index]] = value[fields[index]] as Row[string];
    return row;
  };
  return {
    read(body: Buffer, schemaId: string): ChangeEvent {
      let record: EnvelopeRecord;
      try {
        record = type.fromBuffer(body) as EnvelopeRecord;
      } catch (cause) {
        throw new UndecodableMessageError(`the message cannot be read with its writer schema ${schemaId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, context: { schemaId } });
      }
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
