import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../src/model/change-event.js';
import { deadLetterReasonLabel, gtidSequences, SluiceMetrics } from '../../../src/observability/metrics.js';
import { PipelineObserver, redactSecrets, type PipelineOutline } from '../../../src/observability/pipeline-observer.js';
import { assessReadiness } from '../../../src/observability/readiness.js';
import { renderStatusPage } from '../../../src/observability/status-page.js';
import { parseHttpPort } from '../../../src/cli/http-port-option.js';

const outline = (command: string): PipelineOutline => ({ pipeline: 'shop', command, source: 'mysql db:3306 [shop]', topicPrefix: 'shop', documents: [{ name: 'orders', index: 'shop-orders' }] });

function event(table: string, op: ChangeEvent['op'], snapshot: string, tsMs: number): ChangeEvent {
  return { op, before: null, after: { id: 1 }, source: { db: 'shop', table, tsMs, snapshot }, tsMs, transaction: null } as unknown as ChangeEvent;
}

function observer(command: string, clock: { now: number }): PipelineObserver {
  return new PipelineObserver(outline(command), new SluiceMetrics('shop', command), { now: () => clock.now });
}

const settings = { stallTimeoutMs: 10_000, lagStaleMs: 20_000 };

describe('metric labels', () => {
  it('reads the highest sequence per GTID domain and server, MariaDB and MySQL forms', () => {
    expect(gtidSequences('0-1-123,1-2-7')).toEqual([{ domain: '0', server: '1', sequence: 123 }, { domain: '1', server: '2', sequence: 7 }]);
    expect(gtidSequences('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:10-20')).toEqual([{ domain: '0', server: '3e11fa47-71ca-11e1-9e33-c80aa9429562', sequence: 20 }]);
    expect(gtidSequences('')).toEqual([]);
  });

  it('turns a dead letter reason into a bounded label', () => {
    expect(deadLetterReasonLabel('undecodable-message', 'bad magic byte')).toBe('undecodable_message');
    expect(deadLetterReasonLabel('rejected-document', '400 mapper_parsing_exception: failed to parse field [year]', 400)).toBe('mapper_parsing_exception');
    expect(deadLetterReasonLabel('rejected-document', 'something odd', 413)).toBe('http_413');
    expect(deadLetterReasonLabel('rejected-document', 'something odd')).toBe('other');
  });

  it('redacts passwords of URLs in messages', () => {
    expect(redactSecrets('connect mysql://sluice:s3cret@db:3306 failed')).toBe('connect mysql://sluice:***@db:3306 failed');
  });
});

describe('the observer and its metrics', () => {
  it('counts rows per table and operation and the capture delay of streamed rows only', async () => {
    const clock = { now: 10_000 };
    const watched = observer('source', clock);
    watched.produced([event('orders', 'r', 'true', 1_000), event('orders', 'r', 'last', 1_000), event('orders', 'u', 'false', 9_500)], 12);
    const text = await watched.metrics.render();
    expect(text).toContain('sluice_captured_rows_total{table="shop.orders",operation="read",pipeline="shop"} 2');
    expect(text).toContain('sluice_captured_rows_total{table="shop.orders",operation="update",pipeline="shop"} 1');
    expect(text).toContain('sluice_capture_delay_seconds_count{pipeline="shop",table="shop.orders"} 1');
    expect(text).toContain('sluice_capture_delay_seconds_sum{pipeline="shop",table="shop.orders"} 0.5');
    expect(watched.snapshot().tables).toEqual([{ table: 'shop.orders', snapshotRows: 2, streamedRows: 1, lastDelayMs: 500 }]);
  });

  it('counts documents by outcome and pages per partition, and keeps the latest dead letters without their document', async () => {
    const clock = { now: 50_000 };
    const watched = observer('sink', clock);
    watched.pageAcknowledged({ topic: 'shop.shop.orders', partition: 2, changes: [event('orders', 'u', 'false', 49_000)], result: { changes: 1, documents: 3, deletes: 1, superseded: 2, rejected: 1 }, atMs: 50_000 });
    watched.deadLetter({ kind: 'rejected-document', reason: '400 mapper_parsing_exception: bad', httpStatus: 400, index: 'shop-orders', documentId: '7', atMs: 50_000 });
    const text = await watched.metrics.render();
    expect(text).toContain('sluice_documents_total{outcome="written",pipeline="shop"} 3');
    expect(text).toContain('sluice_documents_total{outcome="superseded",pipeline="shop"} 2');
    expect(text).toContain('sluice_sink_pages_committed_total{topic="shop.shop.orders",partition="2",pipeline="shop"} 1');
    expect(text).toContain('sluice_dead_letters_total{reason="mapper_parsing_exception",pipeline="shop"} 1');
    expect(text).toContain('sluice_commit_to_acknowledged_seconds_sum{pipeline="shop"} 1');
    expect(watched.snapshot().deadLetters).toEqual([{ kind: 'rejected-document', reason: '400 mapper_parsing_exception: bad', httpStatus: 400, index: 'shop-orders', documentId: '7', atMs: 50_000 }]);
  });

  it('counts retries and errors by service and class', async () => {
    const watched = observer('sink', { now: 1 });
    watched.failure(true, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' }));
    watched.failure(false, new TypeError('x is not a function'));
    const text = await watched.metrics.render();
    expect(text).toMatch(/sluice_retries_total\{service="network",kind="transient",pipeline="shop"\} 1/);
    expect(text).toMatch(/sluice_errors_total\{service="\w+",kind="bug",pipeline="shop"\} 1/);
  });
});

describe('sync progress', () => {
  it('sets the roots per state of each document family and shows them on the page', async () => {
    const watched = observer('sync', { now: 0 });
    watched.syncProgress({ document: 'orders', done: 250, total: 1000, written: 200, unchanged: 50 });
    const text = await watched.metrics.render();
    expect(text).toContain('sluice_sync_roots{document="orders",state="total",pipeline="shop"} 1000');
    expect(text).toContain('sluice_sync_roots{document="orders",state="done",pipeline="shop"} 250');
    const html = renderStatusPage(watched.snapshot(), assessReadiness(watched.snapshot(), settings));
    expect(html).toContain('style="width:25.0%"');
    expect(html).toContain('250 / 1,000');
  });
});

describe('readiness', () => {
  it('a sink is not ready before the lag is read, ready with no lag, and not ready when lag waits without progress', () => {
    const clock = { now: 0 };
    const watched = observer('sink', clock);
    expect(assessReadiness(watched.snapshot(), settings).reasons).toEqual(['sink: consumer lag not read from Kafka yet']);
    clock.now = 1_000;
    watched.lagRead([{ group: 'shop.sink', state: 'Stable', members: 1, partitions: [{ topic: 'shop.shop.orders', partition: 0, committed: '5', end: '5', lag: 0 }] }]);
    expect(assessReadiness(watched.snapshot(), settings)).toEqual({ ready: true, reasons: [] });
    clock.now = 30_000;
    watched.lagRead([{ group: 'shop.sink', state: 'Stable', members: 1, partitions: [{ topic: 'shop.shop.orders', partition: 0, committed: '5', end: '9', lag: 4 }] }]);
    // work just appeared: it has stallTimeoutMs to make progress
    expect(assessReadiness(watched.snapshot(), settings).ready).toBe(true);
    clock.now = 41_000;
    watched.lagRead([{ group: 'shop.sink', state: 'Stable', members: 1, partitions: [{ topic: 'shop.shop.orders', partition: 0, committed: '5', end: '9', lag: 4 }] }]);
    expect(assessReadiness(watched.snapshot(), settings)).toEqual({ ready: false, reasons: ['sink: 4 message(s) waiting on 1 partition(s) but no page committed for 11 s (stallTimeoutMs 10000)'] });
    watched.pageAcknowledged({ topic: 'shop.shop.orders', partition: 0, changes: [], result: { changes: 4, documents: 4, deletes: 0, superseded: 0, rejected: 0 }, atMs: 41_000 });
    expect(assessReadiness(watched.snapshot(), settings).ready).toBe(true);
    clock.now = 70_000;
    expect(assessReadiness(watched.snapshot(), settings).reasons).toContain('sink: consumer lag not read for 29 s');
  });

  it('a capture is ready once started, and not while it keeps failing without progress', () => {
    const clock = { now: 0 };
    const watched = observer('source', clock);
    expect(assessReadiness(watched.snapshot(), settings).reasons).toEqual(['capture: not started yet']);
    watched.captureStarted(() => ({ snapshotRows: 0, streamedRows: 0, batches: 0, lastSaved: { savedAtMs: 0, snapshotCompleted: true, gtidPosition: '0-1-5' } }));
    expect(assessReadiness(watched.snapshot(), settings).ready).toBe(true);
    clock.now = 1_000;
    watched.failure(true, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    clock.now = 12_000;
    watched.failure(true, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(assessReadiness(watched.snapshot(), settings).reasons).toEqual(['failing for 11 s without progress: network transient: connect ECONNREFUSED']);
    watched.produced([event('orders', 'c', 'false', 12_000)], 5);
    expect(assessReadiness(watched.snapshot(), settings).ready).toBe(true);
  });
});

describe('the status page', () => {
  it('escapes what it shows and refreshes itself', () => {
    const watched = observer('sink', { now: 0 });
    watched.deadLetter({ kind: 'rejected-document', reason: '<script>alert(1)</script>', index: 'shop-orders', atMs: 0 });
    const html = renderStatusPage(watched.snapshot(), { ready: false, reasons: ['sink: <b>'] });
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('sink: &lt;b&gt;');
    expect(html).toContain('setTimeout(refresh, 2000)');
    expect(html).toContain('<link rel="icon" href="data:,">');
  });
});

describe('--http-port', () => {
  it('takes a port from 0 to 65535 and refuses anything else', () => {
    expect(parseHttpPort('9464')).toBe(9464);
    expect(parseHttpPort('0')).toBe(0);
    expect(() => parseHttpPort('65536')).toThrow('must be a TCP port');
    expect(() => parseHttpPort('http')).toThrow('must be a TCP port');
  });
});
