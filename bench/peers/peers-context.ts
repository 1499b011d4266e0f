/**
 * What both parts of the peers phase share: the bench's options, the list of what they create
 * (dropped at the end) and how a failed measurement is reported.
 */
import type { Kafka } from 'kafkajs';
import type { KafkaWatch } from '../lib/progress.js';

/** What the peers phase needs from the bench. */
export interface PeersOptions {
  readonly roots: number;
  readonly kafka: Kafka;
  readonly watch: KafkaWatch;
  readonly suffix: string;
  readonly timeoutMs: number;
  /** NODE_OPTIONS of the sluice processes (--node-options). */
  readonly nodeOptions?: string;
  /** The bench's command line, given at the top of the report (it names --sink and --node-options). */
  readonly command?: string;
}

/** What the phase created, dropped at the end. */
export interface CleanUp {
  readonly databases: string[];
  readonly topicPrefixes: string[];
  readonly indexes: string[];
}

/** A measurement that failed, with the first 400 characters of its reason. */
export function skipped(error: unknown): { skipped: string } {
  const message = error instanceof Error ? error.message : String(error);
  return { skipped: `failed: ${message.slice(0, 400)}` };
}
