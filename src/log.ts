/**
 * Structured logging (pino): JSON lines by default, human-readable when stdout is a terminal or
 * SAMSA_LOG_PRETTY=1. Level from SAMSA_LOG_LEVEL (default info).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  if (root) return root;
  const level = process.env.SAMSA_LOG_LEVEL ?? 'info';
  const pretty = process.env.SAMSA_LOG_PRETTY === '1' || (process.env.SAMSA_LOG_PRETTY !== '0' && process.stdout.isTTY);
  root = pretty
    ? pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
    : pino({ level, base: { pid: process.pid } });
  return root;
}

/**
 * Makes `l` the root logger instead of the stdout one, for a program that embeds the broker and
 * reads its log lines (the fuzz runner checks them for handler failures). Call it before the
 * broker is started; loggers already handed out keep the previous root.
 */
export function setRootLogger(l: Logger): void {
  root = l;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}
