/**
 * `samsa`: one entry point for running and using Samsa without knowing Kafka's scripts (rpk-like).
 * Commands are declared here with commander; each one's code lives in samsa/*.ts and is imported
 * only when that command runs, so `samsa --help` and every command start quickly.
 */
import { Command, Option } from 'commander';
import { c, CliError, printError } from './samsa/ui.js';
import { SAMSA_VERSION } from './tool/version.js';

/** Repeatable options; no default is declared so that help does not print "(default: [])". */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const ROOT_HELP = (): string => `${c.bold('samsa')} ${SAMSA_VERSION} — a Kafka-compatible broker, and the tools to use it

${c.bold('Usage')}
  samsa <command> [options]

${c.bold('Run a broker')}
  start                       one broker for development on localhost:9092 (data in ~/.samsa/data)
  cluster start               ZooKeeper and 3 brokers on this machine (9092, 9093, 9094)

${c.bold('Work with topics')}
  topic create <name…>        create topics ${c.dim('(-p partitions, -r replicas, -c key=value)')}
  topic list                  list topics
  topic describe <name>       partitions, leaders, offsets and config of a topic
  topic delete <name…>        delete topics
  topic produce <name>        send stdin lines (or the given messages) as records
  topic consume <name…>       print records ${c.dim('(--from-beginning, -n count, -g group, -f format)')}
  topic elect-leaders [name…] move leadership back to preferred replicas ${c.dim('(cluster)')}

${c.bold('Consumer groups')}
  group list                  list consumer groups
  group describe <group>      members, committed offsets and lag

${c.bold('Transactions')}
  txn list                    transactional ids, their coordinator and state
  txn describe <id>           state, producer, open time and partitions of a transaction
  txn producers <topic> <p>   producer state of a partition (open transactions, sequences)

${c.bold('See inside')}
  console                     web console: brokers, topics, messages, groups and lag ${c.dim('(--port, --host)')}

${c.bold('Options for every command')}
  -b, --brokers <host:port,…> brokers to talk to ${c.dim('(default: $SAMSA_BROKERS or localhost:9092)')}
  -X <key=value>              client property, repeatable ${c.dim('(client.id, request.timeout.ms, security.protocol, …)')}
  --command-config <file>     client properties file ${c.dim('(TLS/SASL: security.protocol, sasl.*, ssl.*; docs/SECURITY.md)')}
  --json                      machine-readable output for scripts
  --no-color                  plain output even on a terminal
  -h, --help                  help for any command, e.g. samsa topic consume --help
  -V, --version               print the version

${c.bold('Examples')}
  ${c.dim('$')} samsa start
  ${c.dim('$')} samsa topic create orders -p 3
  ${c.dim('$')} echo 'hello' | samsa topic produce orders
  ${c.dim('$')} samsa topic consume orders --from-beginning -n 1
  ${c.dim('$')} samsa topic describe orders --json | jq '.partitions[].leader'

Kafka's own tools work too: bin/kafka-topics, bin/kafka-console-producer, bin/kafka-console-consumer,
bin/kafka-configs, bin/kafka-server-start, bin/kafka-server-stop (see docs/CLI.md).
`;

/**
 * The options every command that talks to brokers takes. They are declared on each such command
 * (and on the root, before the command name) rather than inherited, because `cluster start` has
 * its own --brokers <n>; positional options keep the two apart.
 */
function clientOptions(cmd: Command): Command {
  return cmd
    .option('-b, --brokers <list>', 'brokers to talk to, host:port[,host:port…] (default: $SAMSA_BROKERS or localhost:9092)')
    .option('-X, --property <key=value>', 'client property, repeatable (client.id, request.timeout.ms, security.protocol, …)', collect)
    .option('--command-config <file>', "client properties file, as Kafka's tools take it (security.protocol, sasl.*, ssl.*; -X wins)")
    .option('--json', 'machine-readable output for scripts')
    .option('--no-color', 'plain output even on a terminal');
}

const program = new Command();
clientOptions(program)
  .name('samsa')
  .enablePositionalOptions()
  .version(SAMSA_VERSION, '-V, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  .showSuggestionAfterError(true)
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({
    outputError: (str, write) => write(str.replace(/^error:/, c.red(c.bold('error:')))),
  });
program.helpInformation = ROOT_HELP;
program.addHelpCommand(false);

// ---- start / cluster ------------------------------------------------------------------------

program
  .command('start')
  .description('start one broker for development (listens on localhost:9092, keeps data in ~/.samsa/data)')
  .option('--port <port>', 'port to listen on', '9092')
  .option('--host <host>', 'address to listen on (default: every interface; advertised as localhost)')
  .option('--data-dir <dir>', 'where to keep the logs (default: ~/.samsa/data, or $SAMSA_DATA_DIR)')
  .option('--config <file>', 'a server.properties file to start from (its keys win over the dev defaults)')
  .option('-o, --override <key=value>', 'broker setting, repeatable (Kafka keys: num.partitions=3, …)', collect)
  .option('--log-level <level>', 'broker log level: fatal, error, warn, info, debug', 'warn')
  .option('--admin-port <port>', 'port of the admin HTTP listener on 127.0.0.1 (/metrics, /health, /ready, console); 0 = a free port, off = none (default: 9644, or a free port when 9644 is taken)')
  .addHelpText(
    'after',
    `
Examples:
  $ samsa start
  $ curl -s localhost:9644/metrics | grep kafka_server_brokertopicmetrics_bytesin
  $ samsa start --port 9095 --data-dir /tmp/samsa-dev
  $ samsa start -o num.partitions=3 -o log.retention.hours=1

Stop it with Ctrl-C (or bin/kafka-server-stop from another terminal).`,
  )
  .action(async (opts: Record<string, unknown>) => {
    const { startCommand } = await import('./samsa/start.js');
    await startCommand(opts as never);
  });

const cluster = program.command('cluster').description('a local multi-broker cluster for development');
cluster
  .command('start')
  .description('start ZooKeeper and N brokers on this machine (ports 9092, 9093, …), all stopped by one Ctrl-C')
  .option('--brokers <n>', 'how many brokers (default: 3, or as many as --dir already holds)')
  .option('--dir <dir>', 'where the cluster keeps its data; a second start with it brings the same cluster back (default: ~/.samsa/cluster)')
  .addOption(new Option('--data-dir <dir>', 'old name of --dir').hideHelp())
  .option('--base-port <port>', 'port of the first broker, the others count up; 0 picks free ports (default: 9092, or the ports of the last start)')
  .option('--zookeeper-port <port>', 'port of the ZooKeeper samsa starts (default: a free port, kept across starts)')
  .option('--zookeeper <host:port>', 'use this ZooKeeper instead of starting one (zookeeper.connect, chroot allowed)')
  .option('-o, --override <key=value>', 'broker setting for every broker, repeatable', collect)
  .option('--log-level <level>', 'broker log level: fatal, error, warn, info, debug (default: warn)')
  .addHelpText(
    'after',
    `
ZooKeeper comes from Debian's package (apt-get install zookeeper) and keeps its data in <dir>/zookeeper;
each broker keeps its logs in <dir>/broker-<id>. If a broker dies, the others keep running.

Examples:
  $ samsa cluster start
  $ samsa cluster start --brokers 5 --dir /tmp/five --base-port 0
  $ samsa cluster start --zookeeper localhost:2181      # a ZooKeeper you started yourself`,
  )
  .action(async (opts: Record<string, unknown>) => {
    const { clusterStartCommand } = await import('./samsa/cluster.js');
    await clusterStartCommand(opts as never);
  });

// ---- topics ---------------------------------------------------------------------------------

const topic = program.command('topic').description('create, list, describe, delete topics; produce and consume records');

clientOptions(topic.command('create'))
  .argument('<names...>', 'topic names')
  .description('create topics')
  .option('-p, --partitions <n>', 'number of partitions (default: the broker\'s num.partitions)')
  .option('-r, --replicas <n>', 'replication factor (default: the broker\'s default.replication.factor)')
  .option('-c, --config <key=value>', 'topic config, repeatable (retention.ms=86400000, cleanup.policy=compact, …)', collect)
  .option('--if-not-exists', 'succeed quietly when the topic already exists')
  .option('--dry-run', 'validate only; create nothing')
  .addHelpText('after', '\nExamples:\n  $ samsa topic create orders -p 3\n  $ samsa topic create audit -c retention.ms=604800000 -c cleanup.policy=compact')
  .action(async (names: string[], _opts: unknown, cmd: Command) => {
    const { topicCreate } = await import('./samsa/topic.js');
    await topicCreate(names, cmd.optsWithGlobals());
  });

clientOptions(topic.command('list'))
  .alias('ls')
  .description('list topics')
  .option('-i, --internal', 'include internal topics (__consumer_offsets, …)')
  .action(async (_opts: unknown, cmd: Command) => {
    const { topicList } = await import('./samsa/topic.js');
    await topicList(cmd.optsWithGlobals());
  });

clientOptions(topic.command('describe'))
  .argument('<name>', 'topic name')
  .description('partitions (leader, replicas, ISR, offsets) and config of a topic')
  .option('-a, --all-configs', 'show every config, not only the ones set on the topic')
  .action(async (name: string, _opts: unknown, cmd: Command) => {
    const { topicDescribe } = await import('./samsa/topic.js');
    await topicDescribe(name, cmd.optsWithGlobals());
  });

clientOptions(topic.command('delete'))
  .alias('rm')
  .argument('<names...>', 'topic names')
  .description('delete topics')
  .option('--if-exists', 'succeed quietly when a topic does not exist')
  .action(async (names: string[], _opts: unknown, cmd: Command) => {
    const { topicDelete } = await import('./samsa/topic.js');
    await topicDelete(names, cmd.optsWithGlobals());
  });

clientOptions(topic.command('produce'))
  .argument('<name>', 'topic name')
  .argument('[messages...]', 'messages to send (default: one record per line of stdin)')
  .description('send records: the given messages, or one per line of standard input')
  .option('-k, --key <key>', 'key for every record')
  .option('-K, --key-separator <sep>', 'split each line into key and value at the first <sep>')
  .option('-p, --partition <n>', 'send everything to this partition')
  .option('-H, --header <key=value>', 'header for every record, repeatable', collect)
  .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
  .option('--acks <acks>', 'all, 1 or 0', 'all')
  .option('--linger-ms <ms>', 'how long to wait to fill a batch', '5')
  .addHelpText(
    'after',
    `
Examples:
  $ samsa topic produce orders 'first order' 'second order'
  $ seq 1 100000 | samsa topic produce numbers
  $ printf 'k1:v1\\nk2:v2\\n' | samsa topic produce orders -K :`,
  )
  .action(async (name: string, messages: string[], _opts: unknown, cmd: Command) => {
    const { topicProduce } = await import('./samsa/topic.js');
    await topicProduce(name, messages, cmd.optsWithGlobals());
  });

clientOptions(topic.command('consume'))
  .argument('<names...>', 'topic names')
  .description('print records as they arrive (Ctrl-C to stop)')
  .option('--from-beginning', 'start at the oldest record (default: only new records)')
  .option('-o, --offset <offset>', 'start at: earliest, latest, an offset, -N (N before the end), or @<unix-ms> (first record at or after that time)')
  .option('-p, --partition <n...>', 'only these partitions')
  .option('-n, --num <count>', 'exit after this many records')
  .option('-g, --group <id>', 'consume as a member of this consumer group (commits offsets)')
  .option('-f, --format <format>', 'output format: %v value, %k key, %t topic, %p partition, %o offset, %T timestamp, %h headers, \\n \\t', '%v\\n')
  .option('--timeout-ms <ms>', 'exit when no record arrives for this long')
  .option('--read-committed', 'skip records of aborted transactions')
  .addHelpText(
    'after',
    `
With --json every record is one JSON object per line (topic, partition, offset, timestamp, key, value, headers).

Examples:
  $ samsa topic consume orders --from-beginning
  $ samsa topic consume orders -o -10 -n 10 -f '%p:%o %k=%v\\n'
  $ samsa topic consume orders -g billing --json | jq .value`,
  )
  .action(async (names: string[], _opts: unknown, cmd: Command) => {
    const { topicConsume } = await import('./samsa/topic.js');
    await topicConsume(names, cmd.optsWithGlobals());
  });

clientOptions(topic.command('elect-leaders'))
  .argument('[names...]', 'topic names (default: every partition of the cluster)')
  .description('leader election on demand: move leadership back to the preferred (first) replica, like kafka-leader-election')
  .option('-p, --partition <n...>', 'only these partitions (with one or more topic names)')
  .option('--unclean', 'unclean election instead (not performed yet: reports which partitions have no leader)')
  .addHelpText('after', '\nExamples:\n  $ samsa topic elect-leaders\n  $ samsa topic elect-leaders orders -p 0 1')
  .action(async (names: string[], _opts: unknown, cmd: Command) => {
    const { topicElectLeaders } = await import('./samsa/elect.js');
    await topicElectLeaders(names, cmd.optsWithGlobals());
  });

// ---- groups ---------------------------------------------------------------------------------

const group = program.command('group').description('consumer groups');
clientOptions(group.command('list'))
  .alias('ls')
  .description('list consumer groups')
  .action(async (_opts: unknown, cmd: Command) => {
    const { groupList } = await import('./samsa/group.js');
    await groupList(cmd.optsWithGlobals());
  });
clientOptions(group.command('describe'))
  .argument('<groups...>', 'group ids')
  .description('state, members, committed offsets and lag of consumer groups')
  .action(async (groups: string[], _opts: unknown, cmd: Command) => {
    const { groupDescribe } = await import('./samsa/group.js');
    await groupDescribe(groups, cmd.optsWithGlobals());
  });

// ---- transactions ---------------------------------------------------------------------------

const txn = program.command('txn').description('transactions and producer state');
clientOptions(txn.command('list'))
  .alias('ls')
  .description('transactional ids, their coordinator and state')
  .action(async (_opts: unknown, cmd: Command) => {
    const { txnList } = await import('./samsa/txn.js');
    await txnList(cmd.optsWithGlobals());
  });
clientOptions(txn.command('describe'))
  .argument('<transactional-id>', 'transactional id')
  .description('state, producer, open time and partitions of a transaction')
  .action(async (id: string, _opts: unknown, cmd: Command) => {
    const { txnDescribe } = await import('./samsa/txn.js');
    await txnDescribe(id, cmd.optsWithGlobals());
  });
clientOptions(txn.command('producers'))
  .argument('<topic>', 'topic')
  .argument('<partition>', 'partition')
  .option('--broker-id <id>', 'ask this replica instead of the leader')
  .description('producer state of a partition: epochs, sequences, open transactions')
  .action(async (topic: string, partition: string, _opts: unknown, cmd: Command) => {
    const { txnProducers } = await import('./samsa/txn.js');
    await txnProducers(topic, partition, cmd.optsWithGlobals());
  });

// ---- console ---------------------------------------------------------------------------------

clientOptions(program.command('console'))
  .description('web console for any Kafka-compatible cluster: brokers, topics, messages, consumer groups and lag, metrics')
  .option('--port <port>', 'HTTP port (0 picks a free one)', '9021')
  .option('--host <host>', 'address to listen on (keep 127.0.0.1 unless you mean to share it: the console can change the cluster)', '127.0.0.1')
  .option('--metrics-url <url>', "the broker's Prometheus endpoint, for the metrics page (default: throughput derived from offsets)")
  .option('--read-only', 'refuse every change (create, delete, produce, reset offsets, config edits)')
  .addHelpText('after', '\nExamples:\n  $ samsa console\n  $ samsa console -b broker1:9092,broker2:9092 --port 8080\n\nSee docs/CONSOLE.md.')
  .action(async (_opts: unknown, cmd: Command) => {
    const { consoleCommand } = await import('./samsa/console.js');
    await consoleCommand(cmd.optsWithGlobals());
  });

try {
  if (process.argv.length <= 2) {
    process.stdout.write(ROOT_HELP());
    process.exit(0);
  }
  // `samsa help [command…]` is `samsa [command…] --help`.
  const argv = process.argv[2] === 'help' ? [...process.argv.slice(0, 2), ...process.argv.slice(3), '--help'] : process.argv;
  await program.parseAsync(argv);
} catch (e) {
  printError(e);
  process.exit(e instanceof CliError ? e.exitCode : 1);
}
