/**
 * `samsa start`: one broker in this process with development defaults, and a banner saying where to
 * connect. Defaults (each can be overridden with -o key=value or a --config file):
 *   log.dirs                       ~/.samsa/data (or $SAMSA_DATA_DIR, or --data-dir)
 *   listeners                      PLAINTEXT://:9092 (every interface; --host/--port change it)
 *   advertised.listeners           PLAINTEXT://localhost:9092 (what clients are told to connect to)
 *   group.initial.rebalance.delay.ms  0 (consumer groups form at once)
 *   offsets/transaction topics     replication factor 1
 *   admin.listeners                http://127.0.0.1:9644 (--admin-port; a free port when 9644 is
 *                                  taken and --admin-port was not given; --admin-port off: none)
 * Broker logs go to stdout at --log-level (default warn, so the banner stays readable). Ctrl-C or
 * SIGTERM stops the broker cleanly; a second Ctrl-C exits at once.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseProperties } from '../../config/properties.js';
import { SAMSA_VERSION } from '../tool/version.js';
import { c, CliError, print } from './ui.js';

interface StartOptions {
  port: string;
  host?: string;
  dataDir?: string;
  config?: string;
  override?: string[];
  logLevel: string;
  adminPort?: string;
}

/** Redpanda's admin port, outside Kafka's 9092-9094 and ZooKeeper's 2181. */
export const ADMIN_PORT_DEFAULT = 9644;

async function portFree(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port }, () => s.close(() => resolve(true)));
  });
}

/** The admin.listeners value for --admin-port: null = off. */
async function adminListenerFor(opt: string | undefined): Promise<string | null> {
  if (opt === 'off') return null;
  if (opt === undefined) return `http://127.0.0.1:${(await portFree('127.0.0.1', ADMIN_PORT_DEFAULT)) ? ADMIN_PORT_DEFAULT : 0}`;
  const port = Number(opt);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--admin-port must be a port number or off, got '${opt}'`);
  return `http://127.0.0.1:${port}`;
}

export function defaultDataDir(): string {
  return process.env.SAMSA_DATA_DIR ?? path.join(os.homedir(), '.samsa', 'data');
}

export async function startCommand(opts: StartOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, got '${opts.port}'`);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
  if (!levels.includes(opts.logLevel)) throw new CliError(`--log-level must be one of ${levels.join(', ')}`);
  process.env.SAMSA_LOG_LEVEL = opts.logLevel;
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const advertisedHost = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : 'localhost';

  const defaults: Record<string, string> = {
    'log.dirs': dataDir,
    listeners: `PLAINTEXT://${opts.host ?? ''}:${port}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${port}`,
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
  };
  const adminListener = await adminListenerFor(opts.adminPort);
  defaults['admin.listeners'] = adminListener ?? '';
  let fileKeys = new Set<string>();
  if (opts.config !== undefined) {
    if (!existsSync(opts.config)) throw new CliError(`config file ${opts.config} does not exist`, 'pass a server.properties file, e.g. --config config/server.properties');
    const { readFileSync } = await import('node:fs');
    fileKeys = new Set(parseProperties(readFileSync(opts.config, 'utf8'), opts.config).keys());
  }
  // Explicit flags beat the file; the file beats the dev defaults.
  const explicit = new Set<string>();
  if (opts.dataDir !== undefined) explicit.add('log.dirs');
  if (opts.host !== undefined || opts.port !== '9092') explicit.add('listeners').add('advertised.listeners');
  if (opts.adminPort !== undefined) explicit.add('admin.listeners');
  const overrides = Object.entries(defaults)
    .filter(([k]) => explicit.has(k) || !fileKeys.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .concat(opts.override ?? []);

  const [{ Broker }, { ConfigError, loadBrokerConfig }, { NodeClock }, { NodeDisk }, { NodeNet }, { NodeRandom }, { StartupError }, { readTextFileSync }, { NodeHttp }, { NodeProcessStats }, { createConsoleHandler }] = await Promise.all([
    import('../../broker.js'),
    import('../../config/broker-config.js'),
    import('../../io/node/clock.js'),
    import('../../io/node/disk.js'),
    import('../../io/node/net.js'),
    import('../../io/node/random.js'),
    import('../../startup-error.js'),
    import('../../io/node/text-file.js'),
    import('../../io/node/http.js'),
    import('../../io/node/process-stats.js'),
    import('../../console/routes.js'),
  ]);
  let config;
  try {
    const loaded = loadBrokerConfig({ ...(opts.config !== undefined ? { file: opts.config } : {}), overrides, env: process.env, readTextFile: readTextFileSync });
    config = loaded.config;
    for (const w of loaded.warnings) process.stderr.write(`${c.yellow('warning:')} ${w}\n`);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 'broker settings use Kafka\'s keys, e.g. -o num.partitions=3');
    throw e;
  }
  let broker: Awaited<ReturnType<typeof Broker.start>>;
  try {
    const coordination = config.zookeeperConnect !== null ? (await import('../../cluster/coordination/zookeeper.js')).zookeeperCoordination : undefined;
    broker = await Broker.start(config, { clock: new NodeClock(), disk: new NodeDisk({ inlineWriteBytesMax: config.logInlineWriteBytesMax }), net: new NodeNet(), random: new NodeRandom(), http: new NodeHttp(), process: new NodeProcessStats(), webConsole: createConsoleHandler, ...(coordination ? { coordination } : {}) });
  } catch (e) {
    if (e instanceof StartupError) {
      const inUse = /port is already in use/.test(e.message);
      throw new CliError(e.message, inUse ? `stop it (bin/kafka-server-stop), or pick another port: samsa start --port ${port === 9092 ? 9095 : port + 1}` : 'see docs/CLI.md, bin/kafka-server-start');
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is already in use — is another broker running?`, `stop it (bin/kafka-server-stop), or pick another port: samsa start --port ${port === 9092 ? 9095 : port + 1}`);
    }
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(`cannot use ${dataDir} or port ${port}: ${(e as Error).message}`, 'choose another --data-dir or --port');
    throw e;
  }
  const bound = broker.listeners[0]!;
  const address = `${advertisedHost}:${bound.port}`;
  const clusterId = broker.controller.image.clusterId;
  print();
  print(`  ${c.bold('Samsa')} ${SAMSA_VERSION} ${c.dim('— Kafka-compatible broker, single node for development')}`);
  print();
  print(`  ${c.dim('Bootstrap server')}  ${c.bold(c.green(address))}`);
  print(`  ${c.dim('Data directory  ')}  ${dataDir}`);
  print(`  ${c.dim('Broker id       ')}  ${config.brokerId}   ${c.dim('cluster id')} ${clusterId}`);
  const admin = broker.adminListeners[0];
  if (admin) {
    const url = `http://${admin.host === '' || admin.host === '0.0.0.0' ? 'localhost' : admin.host}:${admin.port}`;
    print(`  ${c.dim('Console, metrics')}  ${c.bold(url)}  ${c.dim(`(${url}/metrics, /health, /ready)`)}`);
  }
  print();
  const b = bound.port === 9092 ? '' : ` -b ${address}`;
  print(`  ${c.dim('Try it:')}  samsa topic create hello${b}`);
  print(`           echo 'hi there' | samsa topic produce hello${b}`);
  print(`           samsa topic consume hello --from-beginning${b}`);
  print(`  ${c.dim('or Kafka\'s tools:')} bin/kafka-topics --bootstrap-server ${address} --list`);
  print();
  print(`  ${c.dim('Stop with Ctrl-C.')}`);
  print();

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write('stopping immediately\n');
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`${c.dim(`${signal}: stopping the broker…`)}\n`);
      broker.stop().then(
        () => {
          process.stderr.write(`${c.dim('stopped cleanly')}\n`);
          resolve();
        },
        (e: Error) => {
          process.stderr.write(`shutdown failed: ${e.message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  process.exit(0);
}
