import type { ChangeEvent } from './change-event.js';
import type { ColumnDefinition } from './column.js';

/** A change event ready for Kafka: the event, the columns it was written with and its table's primary key. */
export interface OutgoingChange {
  readonly event: ChangeEvent;
  readonly columns: readonly ColumnDefinition[];
  readonly primaryKey: readonly string[];
}
