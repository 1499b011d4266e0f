import { describe, expect, it } from 'vitest';
import type { FillObservations } from '../../../examples/sakila/fill-watch.js';
import { remapChecks, type RemapEnd } from '../../../examples/sakila/remap-verdict.js';

const seen: FillObservations = {
  oldIndex: 'films__1',
  newIndex: 'films__2',
  fillSeenMs: 1_000,
  aliasMovedMs: 9_000,
  oldIndexDeletedMs: 14_000,
  searches: 120,
  searchesDuringFill: 60,
  oldAnsweredWhileNewPartial: 55,
  newDocsWhileOldAnswered: { min: 0, max: 4_900 },
  badAnswers: 0,
  badAnswerExamples: [],
  newAnsweredEarly: 0,
};
const equality = { rows: 5_000, documents: 5_000, equal: 5_000, differ: [], missing: [], extra: [], differCount: 0, missingCount: 0, extraCount: 0, sample: [] };
const end: RemapEnd = { readAlias: ['films__2'], writeAlias: ['films__2'], oldIndexExists: false, titleRawHits: 5_000, updatesDuringFill: 160, equality };

const failed = (observations: FillObservations, ending: RemapEnd): string[] => remapChecks(observations, ending).filter((check) => !check.ok).map((check) => check.name);

describe('the verdict of npm run demo:mapping-change', () => {
  it('passes when every check holds', () => {
    expect(failed(seen, end)).toEqual([]);
    expect(remapChecks(seen, end).find((check) => check.name.startsWith('the read and write'))?.detail).toContain('after 8.0 s of filling');
  });

  it('fails each check on its own evidence', () => {
    expect(failed({ ...seen, newIndex: undefined, fillSeenMs: undefined }, end)).toContain('a new index filled in the background');
    expect(failed({ ...seen, oldAnsweredWhileNewPartial: 0 }, end)).toEqual(['searches kept answering from the old index during the fill']);
    expect(failed({ ...seen, newAnsweredEarly: 1 }, end)).toEqual(['searches kept answering from the old index during the fill']);
    expect(failed({ ...seen, badAnswers: 1, badAnswerExamples: ['0 hits'] }, end)).toEqual(['no search saw an empty or partial index, nor an error']);
    expect(failed({ ...seen, aliasMovedMs: undefined }, end)).toEqual(['the read and write aliases moved to the new index when it was complete']);
    expect(failed(seen, { ...end, writeAlias: ['films__1'] })).toEqual(['the read and write aliases moved to the new index when it was complete']);
    expect(failed(seen, { ...end, titleRawHits: 0 })).toEqual(['the edited mapping answers through the read alias']);
    expect(failed(seen, { ...end, oldIndexExists: true })).toEqual(['the old index was deleted']);
    expect(failed(seen, { ...end, equality: { ...equality, equal: 4_999, differ: ['17'], differCount: 1 } })).toEqual(['the documents equal the database']);
    expect(failed(seen, { ...end, equality: { ...equality, documents: 4_999, equal: 4_999, missing: ['17'], missingCount: 1 } })).toEqual(['the documents equal the database']);
  });
});
