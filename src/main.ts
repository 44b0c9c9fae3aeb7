/**
 * Entry point: `samsa-broker [server.properties] [--override key=value]...`. Loads the config, builds
 * the production io, starts the broker, and shuts it down gracefully on SIGTERM/SIGINT (exit 0).
 * A bad config, or a start-up failure the user can fix (StartupError: ZooKeeper unreachable, a port
 * taken, a log dir in use, an unformatted KRaft dir), prints one line naming it and the fix, exits 1.
 */
import { readTextFileSync } from './io/node/text-file.js';
import { Broker } from './broker.js';
import { zookeeperCoordination } from './cluster/coordination/zookeeper.js';
import { ConfigError, loadBrokerConfig } from './config/broker-config.js';
import { NodeClock } from './io/node/clock.js';
import { NodeDisk } from './io/node/disk.js';
import { NodeNet } from './io/node/net.js';
import { NodeRandom } from './io/node/random.js';
import { NodeHttp } from './io/node/http.js';
import { createConsoleHandler } from './console/routes.js';
import { NodeProcessStats } from './io/node/process-stats.js';
import { logger } from './log.js';
import { missingNodeFlags } from './node-flags.js';
import { StartupError } from './startup-error.js';

const USAGE = 'usage: kafka-server-start [server.properties] [--override key=value]...';

function parseArgs(argv: string[]): { file?: string; overrides: string[] } {
  const overrides: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--override') {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`--override needs key=value. ${USAGE}`);
      overrides.push(v);
    } else if (a.startsWith('--override=')) {
      overrides.push(a.slice('--override='.length));
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '-daemon') {
      throw new ConfigError('-daemon must come first: kafka-server-start -daemon config/server.properties');
    } else if (a.startsWith('-')) {
      throw new ConfigError(`unknown option ${a}. ${USAGE}`);
    } else if (file === undefined) {
      file = a;
    } else {
      throw new ConfigError(`only one properties file may be given (got ${file} and ${a}). ${USAGE}`);
    }
  }
  return file === undefined ? { overrides } : { file, overrides };
}

async function main(): Promise<void> {
  const log = logger('main');
  let broker: Broker;
  try {
    const args = parseArgs(process.argv.slice(2));
    const { config, warnings } = loadBrokerConfig({ ...args, env: process.env, readTextFile: readTextFileSync });
    for (const w of warnings) log.warn(w);
    broker = await Broker.start(config, {
      clock: new NodeClock(),
      disk: new NodeDisk({ inlineWriteBytesMax: config.logInlineWriteBytesMax }),
      net: new NodeNet(),
      random: new NodeRandom(),
      coordination: zookeeperCoordination,
      http: new NodeHttp(),
      process: new NodeProcessStats(),
      webConsole: createConsoleHandler,
    });
    for (const l of broker.listeners) {
      log.info(`Samsa broker ${config.brokerId} listening on ${l.name}://${l.host || '0.0.0.0'}:${l.port}, data in ${config.logDirs.join(',')}`);
    }
    for (const a of broker.adminListeners) {
      const url = `http://${a.host === '' || a.host === '0.0.0.0' ? 'localhost' : a.host}:${a.port}`;
      log.info(`console and metrics at ${url} (${url}/metrics, /health, /ready)`);
    }
    log.info(`[KafkaServer id=${config.brokerId}] started`);
    const missing = missingNodeFlags(process.execArgv);
    if (missing.length > 0) {
      log.warn(`node was started without ${missing.join(' ')}: expect frequent full garbage collections under load (bin/kafka-server-start passes it; see src/node-flags.ts)`);
    }
    // Every log dir failed (e.g. the disk is full): halt at once, as Kafka does; no controlled
    // shutdown, since nothing can be written. The partitions move once the ZooKeeper session ends.
    broker.onFatal((reason) => {
      log.fatal(reason);
      process.stderr.write(`samsa: ${reason}\n`, () => process.exit(1));
    });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`samsa: ${err.message}\n`);
      process.exit(1);
    }
    throw err; // a bug, not a user's mistake: the stack trace is what a report needs
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${signal}`);
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
