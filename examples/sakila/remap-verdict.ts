/**
 * The verdict of `npm run demo:mapping-change`: what must have happened for the demo to exit 0,
 * each as a check with the reason it failed.
 */
import type { FillObservations } from './fill-watch.js';
import { isEqual, type EqualityReport } from './verify-documents.js';

/** What the demo saw at the end, next to the watch's observations. */
export interface RemapEnd {
  /** Indexes behind the read alias and the write alias at the end. */
  readonly readAlias: readonly string[];
  readonly writeAlias: readonly string[];
  /** Whether the replaced (old) index still exists at the end. */
  readonly oldIndexExists: boolean;
  /** Hits of `exists: title.raw` through the read alias at the end (the edited mapping in use). */
  readonly titleRawHits: number;
  /** Film updates committed while the new index filled (from the new index seen to the alias moved). */
  readonly updatesDuringFill: number;
  readonly equality: EqualityReport | undefined;
}

/** The outcome of one run (what `--report` writes). */
export interface RemapOutcome {
  readonly ok: boolean;
  readonly checks: readonly RemapCheck[];
  readonly observations: FillObservations | undefined;
  readonly end: RemapEnd | undefined;
  readonly updates: number;
  readonly durationMs: number;
}

/** One check of the verdict. */
export interface RemapCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen (shown either way). */
  readonly detail: string;
}

const number = (value: number): string => value.toLocaleString('en-US');

/** The checks, in the order the demo prints them. */
export function remapChecks(seen: FillObservations, end: RemapEnd): RemapCheck[] {
  const newIndex = seen.newIndex;
  const equality = end.equality;
  const range = seen.newDocsWhileOldAnswered;
  return [
    {
      name: 'a new index filled in the background',
      ok: newIndex !== undefined && seen.fillSeenMs !== undefined,
      detail: newIndex === undefined ? 'no new backing index appeared after the mapping edit' : `${newIndex}, ${number(end.updatesDuringFill)} film updates committed while it filled`,
    },
    {
      name: 'searches kept answering from the old index during the fill',
      ok: seen.oldAnsweredWhileNewPartial > 0 && seen.newAnsweredEarly === 0,
      detail:
        `${number(seen.oldAnsweredWhileNewPartial)} of ${number(seen.searchesDuringFill)} searches during the fill answered by ${seen.oldIndex} with every document` +
        (range === undefined ? ' (none while the new index was still partial)' : ` while the new index held ${number(range.min)} to ${number(range.max)}`) +
        (seen.newAnsweredEarly > 0 ? `; ${seen.newAnsweredEarly} answered by the new index before the alias moved` : ''),
    },
    {
      name: 'no search saw an empty or partial index, nor an error',
      ok: seen.badAnswers === 0 && seen.searches > 0,
      detail: seen.badAnswers === 0 ? `${number(seen.searches)} searches, all complete` : `${seen.badAnswers} of ${number(seen.searches)} searches were not: ${seen.badAnswerExamples.slice(0, 3).join('; ')}`,
    },
    {
      name: 'the read and write aliases moved to the new index when it was complete',
      ok: seen.aliasMovedMs !== undefined && newIndex !== undefined && sameIndexes(end.readAlias, [newIndex]) && sameIndexes(end.writeAlias, [newIndex]),
      detail:
        seen.aliasMovedMs === undefined || seen.fillSeenMs === undefined
          ? `the read alias never moved (it is on ${end.readAlias.join(', ') || 'nothing'})`
          : `after ${((seen.aliasMovedMs - seen.fillSeenMs) / 1000).toFixed(1)} s of filling; read alias on ${end.readAlias.join(', ')}, write alias on ${end.writeAlias.join(', ')}`,
    },
    {
      name: 'the edited mapping answers through the read alias',
      ok: equality !== undefined && end.titleRawHits === equality.rows,
      detail: `exists title.raw: ${number(end.titleRawHits)} hits`,
    },
    {
      name: 'the old index was deleted',
      ok: !end.oldIndexExists,
      detail: end.oldIndexExists ? `${seen.oldIndex} still exists` : `${seen.oldIndex} is gone`,
    },
    {
      name: 'the documents equal the database',
      ok: equality !== undefined && isEqual(equality),
      detail:
        equality === undefined
          ? 'not compared'
          : `${number(equality.rows)} rows, ${number(equality.documents)} documents, ${number(equality.equal)} equal` +
            (equality.differCount + equality.missingCount + equality.extraCount === 0
              ? ''
              : `; ${equality.differCount} differ (${equality.differ.join(', ')}), ${equality.missingCount} missing (${equality.missing.join(', ')}), ${equality.extraCount} extra (${equality.extra.join(', ')})`),
    },
  ];
}

function sameIndexes(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && actual.every((index) => expected.includes(index));
}
