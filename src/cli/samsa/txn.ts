/**
 * `samsa txn list|describe|producers`: transactions in samsa's style — the views of
 * kafka-transactions list / describe / describe-producers (client/txn-admin.ts), as aligned tables
 * or --json.
 */
import { UnsupportedVersionError } from '../../client/errors.js';
import { describeProducers, describeTransaction, listTransactions } from '../../client/txn-admin.js';
import { withClient, type GlobalOptions } from './connect.js';
import { c, CliError, isTTY, print, printFields, printJson, printTable } from './ui.js';

function unsupported(e: unknown): never {
  if (e instanceof UnsupportedVersionError) throw new CliError(e.message, 'transactions need a broker with the transaction coordinator; upgrade the broker');
  throw e;
}

export async function txnList(opts: GlobalOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const byBroker = await listTransactions(client).catch(unsupported);
    const rows = [...byBroker].flatMap(([coordinator, listings]) => listings.map((l) => ({ transactionalId: l.transactionalId, coordinator, producerId: l.producerId, state: l.state })));
    rows.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
    if (opts.json) {
      printJson(rows);
      return;
    }
    if (rows.length === 0) {
      if (isTTY) print(c.dim('no transactional ids yet'));
      return;
    }
    printTable(
      ['TRANSACTIONAL-ID', 'COORDINATOR', 'PRODUCER-ID', 'STATE'],
      rows.map((r) => [r.transactionalId, r.coordinator, String(r.producerId), r.state]),
    );
  });
}

export async function txnDescribe(transactionalId: string, opts: GlobalOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const d = await describeTransaction(client, transactionalId).catch(unsupported);
    const started = d.transactionStartTimeMs >= 0;
    const partitions = d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`);
    if (opts.json) {
      printJson({ ...d, transactionDurationMs: started ? Date.now() - d.transactionStartTimeMs : null });
      return;
    }
    printFields([
      ['TRANSACTIONAL-ID', d.transactionalId],
      ['STATE', d.state],
      ['COORDINATOR', d.coordinatorId],
      ['PRODUCER', `${d.producerId} (epoch ${d.producerEpoch})`],
      ['TIMEOUT', `${d.transactionTimeoutMs} ms`],
      ['OPEN FOR', started ? `${Date.now() - d.transactionStartTimeMs} ms (since ${new Date(d.transactionStartTimeMs).toISOString()})` : '-'],
      ['PARTITIONS', partitions.length > 0 ? partitions.join(', ') : '-'],
    ]);
  });
}

export async function txnProducers(topic: string, partitionText: string, opts: GlobalOptions & { brokerId?: string }): Promise<void> {
  const partition = Number(partitionText);
  if (!Number.isSafeInteger(partition) || partition < 0) throw new CliError(`partition must be a number >= 0, got '${partitionText}'`);
  const brokerId = opts.brokerId === undefined ? null : Number(opts.brokerId);
  if (brokerId !== null && !Number.isSafeInteger(brokerId)) throw new CliError(`--broker-id must be a number, got '${opts.brokerId}'`);
  await withClient(opts, async (client) => {
    const producers = await describeProducers(client, topic, partition, brokerId).catch(unsupported);
    if (opts.json) {
      printJson(producers);
      return;
    }
    if (producers.length === 0) {
      if (isTTY) print(c.dim(`no producer state in ${topic}-${partition}`));
      return;
    }
    printTable(
      ['PRODUCER-ID', 'EPOCH', 'LAST-SEQUENCE', 'LAST-WRITE', 'COORDINATOR-EPOCH', 'OPEN-TXN-START-OFFSET'],
      producers.map((p) => [
        String(p.producerId),
        p.producerEpoch,
        p.lastSequence,
        p.lastTimestampMs >= 0 ? new Date(p.lastTimestampMs).toISOString() : '-',
        p.coordinatorEpoch >= 0 ? p.coordinatorEpoch : '-',
        p.currentTxnStartOffset >= 0 ? p.currentTxnStartOffset : '-',
      ]),
    );
  });
}
