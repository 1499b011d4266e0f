import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SLUICE_VERSION } from '../version.js';

/** Seconds buckets for latencies from a few milliseconds to minutes. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Buckets of operations per bulk request. */
const OPERATION_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 5000];
/** Buckets of bytes per bulk request. */
const BYTE_BUCKETS = [1024, 16_384, 65_536, 262_144, 1_048_576, 5_242_880, 20_971_520];

/**
 * The Prometheus metrics of one sluice process, in their own registry (`pipeline` is a default
 * label). Names carry their unit (`_seconds`, `_bytes`, `_total` for counters); labels are bounded:
 * tables, topics and partitions of the pipeline, document families, outcomes and error classes,
 * never a key, an id or a message.
 */
export class SluiceMetrics {
  readonly registry = new Registry();

  readonly capturedRows: Counter<'table' | 'operation'>;
  readonly captureDelay: Histogram<'table'>;
  readonly produceDuration: Histogram;
  readonly sourcePositionSaved: Gauge;
  readonly sourceSnapshotCompleted: Gauge;
  readonly sourceGtidSequence: Gauge<'domain' | 'server'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly pagesCommitted: Counter<'topic' | 'partition'>;
  readonly changesProcessed: Counter;
  readonly documents: Counter<'outcome'>;
  readonly deadLetters: Counter<'reason'>;
  readonly bulkDuration: Histogram<'outcome'>;
  readonly bulkOperations: Histogram;
  readonly bulkBytes: Histogram;
  readonly commitToAcknowledged: Histogram;
  readonly retries: Counter<'service' | 'kind'>;
  readonly errors: Counter<'service' | 'kind'>;
  readonly syncRoots: Gauge<'document' | 'state'>;
  readonly ready: Gauge;

  constructor(pipeline: string, command: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ pipeline });
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'sluice_info', help: 'Always 1: the running command and version, as labels', labelNames: ['command', 'version'], registers }).set({ command, version: SLUICE_VERSION }, 1);
    this.capturedRows = new Counter({ name: 'sluice_captured_rows_total', help: 'Rows produced to Kafka by the capture, per table and operation (read = snapshot)', labelNames: ['table', 'operation'], registers });
    this.captureDelay = new Histogram({ name: 'sluice_capture_delay_seconds', help: 'Source commit time to acknowledged by Kafka, per table, for streamed changes', labelNames: ['table'], buckets: LATENCY_BUCKETS, registers });
    this.produceDuration = new Histogram({ name: 'sluice_kafka_produce_duration_seconds', help: 'Duration of one acknowledged produce of change events (acks=all)', buckets: LATENCY_BUCKETS, registers });
    this.sourcePositionSaved = new Gauge({ name: 'sluice_source_position_saved_timestamp_seconds', help: 'When the capture last saved its source position (Unix time)', registers });
    this.sourceSnapshotCompleted = new Gauge({ name: 'sluice_source_snapshot_completed', help: '1 once the saved position says the initial snapshot completed', registers });
    this.sourceGtidSequence = new Gauge({ name: 'sluice_source_gtid_sequence', help: 'The saved position: highest transaction sequence number per GTID domain and server', labelNames: ['domain', 'server'], registers });
    this.consumerLag = new Gauge({ name: 'sluice_consumer_lag_messages', help: 'Messages not committed yet by the consumer group, per partition', labelNames: ['group', 'topic', 'partition'], registers });
    this.pagesCommitted = new Counter({ name: 'sluice_sink_pages_committed_total', help: 'Pages whose documents were all acknowledged or dead-lettered, per partition', labelNames: ['topic', 'partition'], registers });
    this.changesProcessed = new Counter({ name: 'sluice_sink_changes_total', help: 'Change events the sink processed', registers });
    this.documents = new Counter({ name: 'sluice_documents_total', help: 'Document writes by outcome: written, deleted, superseded (a newer version is stored), rejected (dead-lettered)', labelNames: ['outcome'], registers });
    this.deadLetters = new Counter({ name: 'sluice_dead_letters_total', help: 'Dead letters stored in Kafka, by reason (the engine error type, or undecodable_message)', labelNames: ['reason'], registers });
    this.bulkDuration = new Histogram({ name: 'sluice_bulk_request_duration_seconds', help: 'Duration of bulk requests to the search engine', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, registers });
    this.bulkOperations = new Histogram({ name: 'sluice_bulk_request_operations', help: 'Operations per bulk request', buckets: OPERATION_BUCKETS, registers });
    this.bulkBytes = new Histogram({ name: 'sluice_bulk_request_bytes', help: 'Body size of bulk requests', buckets: BYTE_BUCKETS, registers });
    this.commitToAcknowledged = new Histogram({ name: 'sluice_commit_to_acknowledged_seconds', help: 'Source commit time to the document acknowledged by the search engine, for streamed changes', buckets: LATENCY_BUCKETS, registers });
    this.retries = new Counter({ name: 'sluice_retries_total', help: 'Failures retried with backoff, by service and error class', labelNames: ['service', 'kind'], registers });
    this.errors = new Counter({ name: 'sluice_errors_total', help: 'Failures not retried (permanent, or the retry policy was exhausted), by service and error class', labelNames: ['service', 'kind'], registers });
    this.syncRoots = new Gauge({ name: 'sluice_sync_roots', help: 'Progress of a full sync per document family: roots planned (total), done, written and unchanged', labelNames: ['document', 'state'], registers });
    this.ready = new Gauge({ name: 'sluice_ready', help: '1 when /health/ready answers ready', registers });
  }

  /** The metrics in Prometheus' text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * A bounded label for a dead letter's reason: `undecodable_message`, or the engine's error type
 * (`mapper_parsing_exception`...) found at the start of the reason, else `http_<status>`, else `other`.
 */
export function deadLetterReasonLabel(kind: string, reason: string, httpStatus?: number): string {
  if (kind === 'undecodable-message') return 'undecodable_message';
  const type = /\b([a-z_]{3,60}_(?:exception|error))\b/.exec(reason)?.[1];
  if (type !== undefined) return type;
  return httpStatus === undefined ? 'other' : `http_${httpStatus}`;
}

/**
 * The highest sequence number per GTID domain and server of a position: MariaDB's `0-1-123,1-2-7`
 * (domain-server-sequence) or MySQL's `uuid:1-123:200-210` (server uuid, domain "0").
 */
export function gtidSequences(position: string): Array<{ domain: string; server: string; sequence: number }> {
  const result: Array<{ domain: string; server: string; sequence: number }> = [];
  for (const part of position.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const maria = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (maria !== null) {
      result.push({ domain: maria[1] ?? '0', server: maria[2] ?? '0', sequence: Number(maria[3]) });
      continue;
    }
    const [uuid, ...ranges] = part.split(':');
    const ends = ranges.map((range) => Number(range.split('-').pop())).filter((value) => Number.isFinite(value));
    if (uuid !== undefined && ends.length > 0) result.push({ domain: '0', server: uuid, sequence: Math.max(...ends) });
  }
  return result;
}
