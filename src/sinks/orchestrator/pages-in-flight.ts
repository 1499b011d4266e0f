/**
 * Runs `work` on every page of `pages`, at most `limit` at once, pulling the next page only when a
 * place is free (memory stays flat however many pages there are). The first failure (or an abort
 * of `signal`) stops the pulling; it is thrown once the pages already started have settled.
 */
export async function forEachPageInFlight<T>(pages: AsyncIterable<T>, limit: number, work: (page: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  try {
    for await (const page of pages) {
      signal?.throwIfAborted();
      if (failure !== undefined) break;
      const started: Promise<void> = work(page).then(
        () => {
          inFlight.delete(started);
        },
        (error: unknown) => {
          inFlight.delete(started);
          failure ??= { error };
        },
      );
      inFlight.add(started);
      while (inFlight.size >= Math.max(1, limit)) await Promise.race(inFlight);
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure.error;
}
