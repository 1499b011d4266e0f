import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { retry, type RetryPolicy } from '../retry.js';

/** A page: consecutive messages of one partition. */
export interface MessagePage {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

/** A page handed to a handler: `commit()` commits its offsets (once; the consumer commits after the handler otherwise). */
export interface CommittablePage extends MessagePage {
  commit(): Promise<void>;
}

/**
 * How much one fetch brings back at most: from each partition and in all (Kafka's
 * max.partition.fetch.bytes and fetch.max.bytes). A message larger than either still comes whole
 * (the broker returns the first record batch of a partition whatever its size), so the limits
 * bound memory and never stop a partition.
 */
export interface FetchLimits {
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
}

/**
 * The defaults of `sink.fetch` (kafkajs's and Kafka's own: 1 MiB per partition, 10 MiB in all).
 * Smaller limits hold fewer fetched messages ahead of the pages being written: 512 KiB and 2 MiB
 * took about 10 MiB off the sink's peak RSS on the bench's catch-up, for about 5 % more CPU per
 * document (README, "Memory"), so they are left to the pipeline file.
 */
export const DEFAULT_FETCH_LIMITS: FetchLimits = { maxBytesPerPartition: 1_048_576, maxBytes: 10_485_760 };

/** Settings of a {@link PageConsumer}. */
export interface PageConsumerSettings {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Messages per page at most. */
  readonly pageSize: number;
  readonly partitionsConsumedConcurrently: number;
  readonly sessionTimeoutMs: number;
  /** What one fetch brings back at most (default {@link DEFAULT_FETCH_LIMITS}). */
  readonly fetch?: FetchLimits;
  /** Backoff between restarts of a consumer that stopped on an error. */
  readonly retryPolicy: RetryPolicy;
  readonly logger: Logger;
}

/**
 * Consumes topics as a consumer-group member, page by page: `handle` gets each page, and the
 * page's offsets are committed when `handle` calls the page's `commit()` or else after `handle`
 * resolved, never after it failed (manual commits, at-least-once). A
 * page that takes long keeps the membership alive with heartbeats. When the consumer stops on an
 * error (a topic whose leader is not elected yet, a broker restart), it is created again after a
 * backoff and resumes from the committed offsets, so nothing is skipped; it runs until `signal`
 * aborts.
 */
export class PageConsumer {
  constructor(
    private readonly kafka: Kafka,
    private readonly settings: PageConsumerSettings,
  ) {}

  /**
   * Runs until `signal` aborts. A transient failure (a broker restart, a rebalance, a page whose
   * handling failed on a condition that may pass) creates the consumer again after a backoff, from
   * the committed offsets; a permanent one (see classifyError) is thrown.
   */
  async run(signal: AbortSignal, handle: (page: CommittablePage) => Promise<void>): Promise<void> {
    const { logger } = this.settings;
    try {
      await retry(
        async (_attempt, progress) => {
          const consumer = this.createConsumer();
          try {
            await this.consume(consumer, signal, handle, progress);
          } finally {
            await consumer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'consumer disconnect failed'));
          }
        },
        {
          policy: this.settings.retryPolicy,
          signal,
          what: `consuming ${this.settings.topics.length} topic(s) as group ${this.settings.groupId}`,
          onRetry: (error, attempt, delayMs) => logger.warn({ attempt, delayMs, err: error }, 'the Kafka consumer stopped; starting it again from the committed offsets'),
        },
      );
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  private createConsumer(): Consumer {
    const fetch = this.settings.fetch ?? DEFAULT_FETCH_LIMITS;
    return this.kafka.consumer({
      groupId: this.settings.groupId,
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.settings.sessionTimeoutMs / 3)),
      // an idle fetch returns after 1 s, so a stop (which waits for the fetch) is quick
      maxWaitTimeInMs: 1_000,
      maxBytesPerPartition: fetch.maxBytesPerPartition,
      maxBytes: fetch.maxBytes,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
  }

  /**
   * Consumes until `signal` aborts (resolves), the consumer crashes for good or a page fails
   * (rejects). A failed page is not committed and no page is started after it (pages of other
   * partitions already in progress finish and commit): the next consumer starts again from the
   * committed offsets.
   */
  private async consume(consumer: Consumer, signal: AbortSignal, handle: (page: CommittablePage) => Promise<void>, progress: () => void): Promise<void> {
    const { pageSize } = this.settings;
    let failed = false;
    let failPage: (error: unknown) => void = () => undefined;
    const crashed = new Promise<never>((_, reject) => {
      failPage = (error) => {
        failed = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) reject(event.payload.error);
      });
    });
    // the race below observes it; an early rejection must not be reported as unhandled
    crashed.catch(() => undefined);
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.settings.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (let start = 0; start < batch.messages.length; start += pageSize) {
          if (failed || !payload.isRunning() || payload.isStale() || signal.aborted) return;
          const messages = batch.messages.slice(start, start + pageSize);
          const last = messages[messages.length - 1];
          let committed: Promise<void> | undefined;
          const commit = (): Promise<void> =>
            (committed ??= (async () => {
              if (last === undefined || failed) return;
              await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
              payload.resolveOffset(last.offset);
              progress();
            })());
          const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 2_000);
          try {
            await handle({ topic: batch.topic, partition: batch.partition, messages, commit });
          } catch (error) {
            // not thrown to kafkajs (which would retry the batch by itself and go on): stop here
            failPage(error);
            return;
          } finally {
            clearInterval(beat);
          }
          await commit();
        }
      },
    });
    await Promise.race([stopped, crashed]);
  }
}
