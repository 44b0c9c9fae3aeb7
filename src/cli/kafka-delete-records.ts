/**
 * kafka-delete-records: deletes the records of partitions below given offsets, with Kafka 3.x's
 * flags and output (DeleteRecordsCommand):
 *   --bootstrap-server h:p --offset-json-file f.json [--command-config f]
 * where f.json is {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1} (offset -1:
 * the high watermark). Prints "Executing records delete operation", "Records delete operation
 * completed:" and per partition `partition: t-0\tlow_watermark: 3` or
 * `partition: t-0\terror: <exception>: <message>` (a per-partition failure does not change the exit
 * code, as in Kafka). A bad or missing file, duplicate partitions or an unreachable broker print one
 * line on stderr and exit 1 (Kafka prints a stack trace there).
 */
import { readFileSync } from 'node:fs';
import { Admin } from '../client/admin.js';
import { KafkaClient } from '../client/client.js';
import type { RecordsToDelete } from '../client/log-admin.js';
import { UsageError, type ParsedArgs, type ToolSpec } from './tool/args.js';
import { adminClientOptions, exceptionName, messageOf, out, reportFailure, runTool } from './tool/common.js';

const spec: ToolSpec = {
  name: 'kafka-delete-records',
  summary: 'This tool helps to delete records of the given partitions down to the specified offset.',
  options: [
    { name: 'bootstrap-server', argName: 'String: server(s) to use for bootstrapping', description: 'REQUIRED: The server to connect to.' },
    { name: 'command-config', argName: 'String: command config property file path', description: 'A property file containing configs to be passed to Admin Client.' },
    { name: 'help', description: 'Print usage information.' },
    {
      name: 'offset-json-file',
      argName: 'String: Offset json file path',
      description: 'REQUIRED: The JSON file with offset per partition. The format to use is:\n{"partitions":\n  [{"topic": "foo", "partition": 1, "offset": 1}],\n "version":1\n}',
    },
    { name: 'version', description: 'Display Kafka version.' },
  ],
};

/** Kafka's AdminOperationException / AdminCommandFailedException: the message alone, exit 1. */
class CommandError extends Error {}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Parses the offset file as Kafka does (version 1 only; a missing version means 1); duplicates refused. */
function parseOffsetJson(text: string, file: string): RecordsToDelete[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CommandError(`The input string is not a valid JSON (${file}: ${messageOf(e)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CommandError(`The input string is not a valid JSON object (${file})`);
  const version = (doc as { version?: unknown }).version ?? 1;
  if (version !== 1) throw new CommandError(`Not supported version field value ${JSON.stringify(version)}`);
  const partitions = (doc as { partitions?: unknown }).partitions;
  if (partitions === undefined) throw new CommandError('Missing partitions field');
  if (!Array.isArray(partitions)) throw new CommandError(`"partitions" must be a list (in ${file})`);
  const items: RecordsToDelete[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const e of partitions as unknown[]) {
    const { topic, partition, offset } = (e ?? {}) as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof topic !== 'string' || !isInt(partition) || !isInt(offset)) {
      throw new CommandError(`Invalid entry ${JSON.stringify(e)} in ${file}: expected {"topic": "name", "partition": N, "offset": N}`);
    }
    const key = `${topic}-${partition}`;
    if (seen.has(key) && !duplicates.includes(key)) duplicates.push(key);
    seen.add(key);
    items.push({ topic, partition, offset });
  }
  if (duplicates.length > 0) throw new CommandError(`Offset json file contains duplicate topic partitions: ${duplicates.join(',')}`);
  return items;
}

function readOffsetFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CommandError(`${file} (No such file or directory)`);
    if (code === 'EISDIR') throw new CommandError(`${file} (Is a directory)`);
    throw new CommandError(`${file}: ${messageOf(e)}`);
  }
}

async function main(args: ParsedArgs): Promise<number> {
  if (args.positional.length > 0) throw new UsageError(`Found non argument parameters: ${args.positional.join(',')}`);
  for (const required of ['bootstrap-server', 'offset-json-file']) {
    if (!args.has(required)) throw new UsageError(`Missing required argument "[${required}]"`);
  }
  let client: KafkaClient | undefined;
  try {
    const file = args.get('offset-json-file')!;
    const items = parseOffsetJson(readOffsetFile(file), file);
    client = new KafkaClient(await adminClientOptions(args, 'samsa-delete-records'));
    // Reach the cluster before promising anything: a broker that is down is one line on stderr.
    await client.refreshMetadata([]);
    out('Executing records delete operation\n');
    const results = await new Admin(client).deleteRecords(items);
    const lines = ['Records delete operation completed:'];
    for (const r of results) {
      const name = `${r.topic}-${r.partition}`;
      lines.push(r.error === null ? `partition: ${name}\tlow_watermark: ${r.lowWatermark}` : `partition: ${name}\terror: ${exceptionName(r.error)}: ${r.error.message}`);
    }
    out(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    return reportFailure(e, [CommandError]);
  } finally {
    await client?.close();
  }
}

await runTool(spec, main);
