import { describe, it } from 'vitest';
import { decodePage } from '../../../src/operators/decode-page.js';
import { expandToRoots } from '../../../src/operators/expand-to-roots.js';
import type { ConsumedPage, DecodedPage } from '../../../src/sinks/sink-page.js';
import { decoded, descriptor, page, rootIds, scheduler } from './marbles.js';

const commits: string[] = [];
const a = page('a', 0, commits);
const b = page('b', 0, commits);

describe('decodePage', () => {
  it('decodes one page at a time, in order: a page arriving during a decode waits', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const pages$ = hot<ConsumedPage>('-ab---|', { a, b });
      const decodes = { a: cold<DecodedPage>('---x|', { x: decoded(a, 2) }), b: cold<DecodedPage>('-y|', { y: decoded(b, 1) }) };
      expectObservable(pages$.pipe(decodePage((page) => (page === a ? decodes.a : decodes.b)))).toBe('----x-y|', { x: decoded(a, 2), y: decoded(b, 1) });
      expectSubscriptions(decodes.a.subscriptions).toBe('-^---!');
      expectSubscriptions(decodes.b.subscriptions).toBe('-----^-!');
    });
  });

  it('fails when a decode fails (the page is then not committed)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const failure = new Error('schema topic unreachable');
      expectObservable(cold<ConsumedPage>('a|', { a }).pipe(decodePage(() => cold<DecodedPage>('--#', undefined, failure)))).toBe('--#', undefined, failure);
    });
  });
});

describe('expandToRoots', () => {
  const films = descriptor('films');

  it('streams the root ids of a page as they are found, and expands the next page only after', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const pages$ = hot<DecodedPage>('-ab----|', { a: decoded(a), b: decoded(b) });
      const ids = { x: rootIds(films, ['1']), y: rootIds(films, ['2']), z: rootIds(films, ['3']) };
      const expansions = { a: cold('x-y|', ids), b: cold('z|', ids) };
      expectObservable(pages$.pipe(expandToRoots((page) => (page.page === a ? expansions.a : expansions.b)))).toBe('-x-yz--|', ids);
      expectSubscriptions(expansions.b.subscriptions).toBe('----^!');
    });
  });
});
