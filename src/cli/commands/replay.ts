import type { Command } from 'commander';
import { logLevel, type Admin } from 'kafkajs';
import { loadPipelineConfig } from '../../config/load-pipeline-config.js';
import { ConfigurationError } from '../../errors.js';
import { sinkGroupId } from '../../streams/consumer-groups.js';
import { kafkaCall } from '../../streams/kafka-call.js';
import { pipelineKafka } from '../../pipeline/pipeline-kafka.js';
import { applyReplay, formatReplayPlan, parseReplayOffsets, planReplay, type ReplayTarget } from '../../streams/replay.js';

/** The options of `sluice replay`, as commander parses them. */
interface ReplayOptions {
  readonly config: string;
  readonly toBeginning?: true;
  readonly toEnd?: true;
  readonly toTimestamp?: string;
  readonly toOffsets?: string;
  readonly group?: string;
  readonly topics?: string;
  readonly dryRun?: true;
}

const TARGET_OPTIONS = '--to-beginning, --to-end, --to-timestamp <time> or --to-offsets <offsets>';

const EXAMPLES = `
Examples:
  sluice replay -c pipeline.yml --to-beginning --dry-run
  sluice replay -c pipeline.yml --to-timestamp 2024-05-01T12:00:00Z
  sluice replay -c pipeline.yml --to-offsets sakila.sakila.film:0=42,sakila.sakila.film:1=40

Stop the sink processes of the group first: offsets of a group with running members are not moved.
`;

/**
 * Adds `sluice replay -c <file>`: moves the committed offsets of the pipeline's sink consumer group
 * (or `--group`) to the beginning, the end, a timestamp or explicit offsets, on every change topic
 * of the pipeline (or `--topics`). It always prints the plan; `--dry-run` stops there. Usage and
 * configuration problems are ConfigurationErrors (exit 2); a group with running members is refused
 * by applyReplay with a SluiceError (exit 1).
 */
export function registerReplayCommand(program: Command): Command {
  return (
    program
      .command('replay')
      .description("move the sink's consumer group to the beginning, the end, a timestamp or given offsets, so it reads the changes again")
      .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
      .option('--to-beginning', 'to the first retained message of every partition')
      .option('--to-end', 'past the last message of every partition (skips everything not yet read)')
      .option(
        '--to-timestamp <time>',
        'to the first message at or after a time: ISO-8601 (2024-05-01T12:00:00Z; without a zone, local time) or milliseconds since the epoch',
      )
      .option('--to-offsets <offsets>', 'to explicit offsets: topic:partition=offset,... (other partitions are left alone)')
      .option('--group <id>', 'the consumer group to move (default: <pipeline>.sink)')
      .option('--topics <topics>', "comma-separated topics (default: every change topic of the pipeline, i.e. <topicPrefix>.* except internal '.__' topics)")
      .option('--dry-run', 'print the plan and change nothing')
      .addHelpText('after', EXAMPLES)
      // main() sets exitOverride on the root after the tree is built, which subcommands do not
      // inherit: without this a usage error here would call process.exit instead of returning 2.
      .exitOverride()
      .action((options: ReplayOptions) => runReplay(options))
  );
}

async function runReplay(options: ReplayOptions): Promise<void> {
  const target = replayTarget(options);
  const config = loadPipelineConfig(options.config);
  const groupId = options.group === undefined ? sinkGroupId(config.pipeline) : nonEmptyGroup(options.group);
  const requestedTopics = options.topics === undefined ? undefined : parseTopicList(options.topics);
  const { brokers, topicPrefix } = config.kafka;

  // kafkajs stays quiet: a failure reaches the user once, as the error main() prints.
  const admin = pipelineKafka(config, 'sluice-replay', { logLevel: logLevel.NOTHING }).admin();
  try {
    await kafkaCall(`connect to Kafka (${brokers.join(', ')})`, { brokers }, () => admin.connect());
  } catch (error) {
    // Release whatever the failed connect left open before reporting it.
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
  try {
    const topics = requestedTopics ?? (await changeTopics(admin, config.pipeline, topicPrefix));
    const plan = await planReplay(admin, groupId, topics, target);
    process.stdout.write(`consumer group "${groupId}" ${describeTarget(target)}:\n${formatReplayPlan(plan)}`);
    if (options.dryRun === true) {
      process.stdout.write('dry run: nothing changed\n');
      return;
    }
    const changes = await applyReplay(admin, groupId, plan);
    process.stdout.write(
      changes.length === 0
        ? `nothing changed: consumer group "${groupId}" was already at these offsets\n`
        : `replayed: ${changes.length} partition(s) of consumer group "${groupId}" changed\n`,
    );
  } finally {
    await admin.disconnect();
  }
}

/** The one target the options name; a ConfigurationError when there is none or more than one. */
function replayTarget(options: ReplayOptions): ReplayTarget {
  const given: Array<[string, () => ReplayTarget]> = [];
  if (options.toBeginning === true) given.push(['--to-beginning', () => ({ kind: 'beginning' })]);
  if (options.toEnd === true) given.push(['--to-end', () => ({ kind: 'end' })]);
  const { toTimestamp, toOffsets } = options;
  if (toTimestamp !== undefined) given.push(['--to-timestamp', () => ({ kind: 'timestamp', timestampMs: parseReplayTimestamp(toTimestamp) })]);
  if (toOffsets !== undefined) given.push(['--to-offsets', () => ({ kind: 'offsets', offsets: parseReplayOffsets(toOffsets) })]);
  const [first, ...others] = given;
  if (first === undefined) {
    throw new ConfigurationError('no replay target given: say where to move the consumer group', `give one of ${TARGET_OPTIONS}`);
  }
  if (others.length > 0) {
    throw new ConfigurationError(
      `${given.map(([name]) => name).join(' and ')} given together: a replay has exactly one target`,
      `give only one of ${TARGET_OPTIONS}`,
    );
  }
  return first[1]();
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses the time of `--to-timestamp`: milliseconds since the epoch (digits only), or an ISO-8601
 * date or date-time (`2024-05-01`, `2024-05-01T12:00`, `2024-05-01T12:00:00.000+02:00`); without
 * a zone, the time is local time. Returns milliseconds since the epoch; throws a ConfigurationError
 * for anything else, including impossible dates such as 2024-02-30.
 */
export function parseReplayTimestamp(text: string): number {
  const value = text.trim();
  const invalid = (): ConfigurationError =>
    new ConfigurationError(
      `invalid --to-timestamp "${text}"`,
      'give an ISO-8601 time such as 2024-05-01T12:00:00Z (without a zone: local time) or milliseconds since the epoch such as 1714564800000',
      { context: { timestamp: text } },
    );
  if (/^\d+$/.test(value)) {
    const milliseconds = Number(value);
    if (!Number.isSafeInteger(milliseconds)) throw invalid();
    return milliseconds;
  }
  const match = ISO_TIME.exec(value);
  if (match === null) throw invalid();
  const [, year = '', month = '', day = '', hour, minute = '00', second = '00'] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const validDate = date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
  if (!validDate || Number(hour ?? '00') > 23 || Number(minute) > 59 || Number(second) > 59) throw invalid();
  // Date.parse reads a date alone as UTC midnight: make it local midnight, like any zone-less time.
  const milliseconds = Date.parse(hour === undefined ? `${value}T00:00:00` : value);
  if (Number.isNaN(milliseconds) || milliseconds < 0) throw invalid();
  return milliseconds;
}

/** Where the target moves the group, for the line above the plan. */
function describeTarget(target: ReplayTarget): string {
  switch (target.kind) {
    case 'beginning':
      return 'to the beginning';
    case 'end':
      return 'to the end';
    case 'timestamp':
      return `to the first message at or after ${new Date(target.timestampMs).toISOString()} (${target.timestampMs})`;
    case 'offsets':
      return 'to the given offsets';
  }
}

/**
 * The pipeline's change topics: the topics named exactly `<topicPrefix>.<db>.<table>` (db and
 * table never hold a dot, see topic-names.ts, so another pipeline's `<topicPrefix>.x.*` topics are
 * not taken), except the internal ones (`<topicPrefix>.__schemas`, `<topicPrefix>.__positions`).
 * None is a ConfigurationError: the capture has not written anything yet.
 */
async function changeTopics(admin: Admin, pipeline: string, topicPrefix: string): Promise<string[]> {
  const all = await kafkaCall('list the Kafka topics', { pipeline }, () => admin.listTopics());
  const start = `${topicPrefix}.`;
  const isChangeTopic = (topic: string): boolean => {
    const rest = topic.slice(start.length).split('.');
    return topic.startsWith(start) && rest.length === 2 && !rest[0].startsWith('__');
  };
  const topics = all.filter(isChangeTopic).sort();
  if (topics.length === 0) {
    throw new ConfigurationError(
      `pipeline "${pipeline}" has no change topic in Kafka (no topic named ${start}*): its capture has not written anything yet`,
      'run the capture of the pipeline first, or name the topics with --topics',
      { context: { pipeline, topicPrefix } },
    );
  }
  return topics;
}

/** The topics of `--topics`, without blanks and duplicates. */
function parseTopicList(text: string): string[] {
  const topics = [...new Set(text.split(',').map((topic) => topic.trim()).filter((topic) => topic !== ''))];
  if (topics.length === 0) throw new ConfigurationError('--topics names no topic', 'give comma-separated topic names, e.g. --topics sakila.sakila.film,sakila.sakila.actor');
  return topics;
}

function nonEmptyGroup(group: string): string {
  const trimmed = group.trim();
  if (trimmed === '') throw new ConfigurationError('--group is empty', 'give a consumer group id, or leave --group out for <pipeline>.sink');
  return trimmed;
}
