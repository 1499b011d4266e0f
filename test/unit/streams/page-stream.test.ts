import { lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { CommittablePage } from '../../../src/streams/page-consumer.js';
import { pageStream } from '../../../src/streams/page-stream.js';

const pageOf = (offset: string): CommittablePage => ({ topic: 't', partition: 0, messages: [{ offset, key: null, value: null } as never], commit: () => Promise.resolve() });

describe('pageStream', () => {
  it('hands each page over and lets the consumer go on only once the page is settled', async () => {
    const handled: string[] = [];
    const run = async (handle: (page: CommittablePage) => Promise<void>): Promise<void> => {
      await handle(pageOf('1'));
      handled.push('1');
      await expect(handle(pageOf('2'))).rejects.toThrow('decode failed');
      handled.push('2 failed');
    };
    const seen = await lastValueFrom(
      pageStream(run).pipe(
        tap((page) => {
          const offset = page.messages[0].offset;
          // the consumer is still waiting for this page
          expect(handled).toHaveLength(offset === '1' ? 0 : 1);
          setTimeout(() => page.settle(offset === '1' ? undefined : new Error('decode failed')), 5);
        }),
        toArray(),
      ),
    );
    expect(seen.map((page) => page.messages[0].offset)).toEqual(['1', '2']);
    expect(handled).toEqual(['1', '2 failed']);
  });

  it('errors when the consumer fails', async () => {
    await expect(lastValueFrom(pageStream(() => Promise.reject(new Error('group coordinator gone'))))).rejects.toThrow('group coordinator gone');
  });
});
