/**
 * Bounded concurrency for per-partition work (opening, creating, closing thousands of logs): the
 * file work of one partition is a chain of small thread-pool calls, so a few chains in flight keep
 * the pool busy where one at a time leaves the broker idle between calls.
 */

/**
 * Runs `fn` over `items` in order with at most `limit` in flight. After a failure no new item
 * starts; it resolves or rejects (with the first failure) only once no call is running any more,
 * so nothing of it continues behind the caller's back.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  });
  await Promise.all(workers);
  if (failed) throw firstError;
}
