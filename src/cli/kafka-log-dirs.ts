/**
 * kafka-log-dirs: log directory usage per broker, with Kafka 3.x's flags and output (LogDirsCommand):
 *   --describe --bootstrap-server h:p [--broker-list 0,1] [--topic-list a,b] [--command-config f]
 * prints
 *   Querying brokers for log directories information
 *   Received log directory information from brokers 0,1
 *   {"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":"/data","error":null,"partitions":[
 *     {"partition":"t-0","size":1234,"offsetLag":0,"isFuture":false}]}]}]}
 * (the JSON on one line). Brokers are listed in id order and partitions by topic then partition
 * (Kafka's order is a hash map's). A broker id not in the cluster prints Kafka's "ERROR: The given
 * brokers do not exist from --broker-list: …" on stderr and exits 1; so does anything fatal (one line).
 */
import { Admin } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { adminClientOptions, exceptionName, out, reportFailure, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-log-dirs',
  summary: 'This tool helps to query log directory usage on the specified brokers.',
  options: [
    { name: 'bootstrap-server', argName: 'String: The server(s) to use for bootstrapping', description: 'REQUIRED: the server(s) to use for bootstrapping' },
    {
      name: 'broker-list',
      argName: 'String: Broker list',
      description: 'The list of brokers to be queried in the form "0,1,2". All brokers in the cluster will be queried if no broker list is specified',
      defaultText: '',
    },
    { name: 'command-config', argName: 'String: Admin client property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'describe', description: 'Describe the specified log directories on the specified brokers.' },
    { name: 'help', description: 'Print usage information.' },
    {
      name: 'topic-list',
      argName: 'String: Topic list',
      description: 'The list of topics to be queried in the form "topic1,topic2,topic3". All topics will be queried if no topic list is specified',
      defaultText: '',
    },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

/** Kafka's TerseException: the message alone on stderr, exit 1. */
class CommandError extends Error {}

function splitList(text: string | undefined): string[] {
  return (text ?? '').split(',').filter((s) => s !== '');
}

function brokerIdsOf(args: ParsedArgs): number[] {
  return splitList(args.get('broker-list')).map((s) => {
    if (!/^\s*\d+\s*$/.test(s)) throw new UsageError(`Invalid broker id '${s}' in --broker-list: expected a comma-separated list of integers like 0,1,2`);
    return Number(s);
  });
}

async function main(args: ParsedArgs): Promise<number> {
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  for (const required of ['bootstrap-server', 'describe']) {
    if (!args.has(required)) throw new UsageError(`Missing required argument "[${required}]"`);
  }
  const inputBrokers = [...new Set(brokerIdsOf(args))];
  const topicList = [...new Set(splitList(args.get('topic-list')))];
  let client: KafkaClient | undefined;
  try {
    client = new KafkaClient(await adminClientOptions(args, 'log-dirs-tool'));
    const admin = new Admin(client);
    const clusterBrokers = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
    const missing = inputBrokers.filter((id) => !clusterBrokers.includes(id));
    if (missing.length > 0) {
      throw new CommandError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${clusterBrokers.join(',')}`);
    }
    const brokers = (inputBrokers.length > 0 ? inputBrokers : clusterBrokers).sort((a, b) => a - b);
    out('Querying brokers for log directories information\n');
    const infos = await admin.describeLogDirs(brokers, topicList.length > 0 ? topicList : null);
    const doc = {
      version: 1,
      brokers: brokers.map((broker) => ({
        broker,
        logDirs: (infos.get(broker) ?? []).map((d) => ({
          logDir: d.logDir,
          error: d.error === null ? null : exceptionName(d.error),
          partitions: d.replicas
            .filter((r) => topicList.length === 0 || topicList.includes(r.topic))
            .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
            .map((r) => ({ partition: `${r.topic}-${r.partition}`, size: r.sizeBytes, offsetLag: r.offsetLag, isFuture: r.isFuture })),
        })),
      })),
    };
    out(`Received log directory information from brokers ${brokers.join(',')}\n${JSON.stringify(doc)}\n`);
    return 0;
  } catch (e) {
    return reportFailure(e, [CommandError]);
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
