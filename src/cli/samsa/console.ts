/**
 * `samsa console`: the web console (src/console) on its own HTTP server, against any Kafka-
 * compatible cluster. Prints the URL, serves until Ctrl-C (or SIGTERM), then closes its Kafka
 * connections.
 */
import { parseBootstrap } from '../../client/client.js';
import { startConsoleServer } from '../../console/server.js';
import { bootstrapOf, securityOf, type GlobalOptions } from './connect.js';
import { c, CliError, print, warn } from './ui.js';

export interface ConsoleCommandOptions extends GlobalOptions {
  port?: string;
  host?: string;
  metricsUrl?: string;
  readOnly?: boolean;
}

export const CONSOLE_PORT_DEFAULT = 9021;

export async function consoleCommand(opts: ConsoleCommandOptions): Promise<void> {
  const port = opts.port === undefined ? CONSOLE_PORT_DEFAULT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0-65535, got '${opts.port}'`);
  const bootstrap = bootstrapOf(opts);
  try {
    parseBootstrap(bootstrap);
  } catch (e) {
    throw new CliError((e as Error).message, 'pass brokers as host:port[,host:port], e.g. --brokers localhost:9092');
  }
  if (opts.metricsUrl !== undefined && !/^https?:\/\//.test(opts.metricsUrl)) throw new CliError(`--metrics-url must be an http(s) URL, got '${opts.metricsUrl}'`);
  let server;
  try {
    server = await startConsoleServer({
      bootstrapServers: bootstrap.split(','),
      host: opts.host ?? '127.0.0.1',
      port,
      metricsUrl: opts.metricsUrl,
      readOnly: opts.readOnly === true,
      security: securityOf(opts),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} is already in use`, 'pick another with --port <n> (0 picks a free one)');
    throw e;
  }
  print(`${c.bold('Samsa console')} for ${bootstrap}${opts.readOnly ? ' (read-only)' : ''}: ${c.cyan(server.url)}`);
  if ((opts.host ?? '127.0.0.1') !== '127.0.0.1' && opts.host !== 'localhost' && !opts.readOnly) {
    warn('the console listens beyond this machine and can create, delete and produce; anyone who reaches it can (see docs/CONSOLE.md)');
  }
  print(c.dim('Ctrl-C stops it.'));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
