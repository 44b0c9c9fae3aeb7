/**
 * StartupError: a reason the broker cannot start that the user can fix (ZooKeeper not running, a
 * port taken, a log dir in use or unwritable, an unformatted KRaft dir, a dir from another
 * cluster). Its message is one line naming what is wrong, where the value came from and the fix;
 * main.ts and `samsa start` print it without a stack trace and exit 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
