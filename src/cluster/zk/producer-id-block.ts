/**
 * Producer id blocks in ZooKeeper, Kafka's way: `/latest_producer_id_block` holds the last block
 * handed out as JSON `{"version":1,"broker":<id>,"block_start":"<first>","block_end":"<last>"}`
 * (start and end inclusive, written as strings as Kafka does; numbers are accepted on read). A broker
 * reserves the next block by writing the node conditionally on the version it read; on a conflict it
 * reads again (bounded attempts). The node is created with the first block when absent.
 */
import type { ProducerIdBlock } from '../controller.js';
import { type Coordination, isCoordinationError, json, parseJson } from '../coordination/coordination.js';
import { CONFIG_WRITE_ATTEMPTS_MAX } from './layout.js';

export const PRODUCER_ID_BLOCK_PATH = '/latest_producer_id_block';

interface ProducerIdBlockDoc {
  version: number;
  broker: number;
  block_start: string | number;
  block_end: string | number;
}

/** Kafka's document for a block [first, first + size). */
export function producerIdBlockDoc(block: ProducerIdBlock): ProducerIdBlockDoc {
  return { version: 1, broker: block.brokerId, block_start: block.firstProducerId.toString(), block_end: (block.firstProducerId + BigInt(block.size) - 1n).toString() };
}

export async function allocateProducerIdBlockZk(coord: Coordination, brokerId: number, size: number): Promise<ProducerIdBlock> {
  for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX; attempt++) {
    const current = await coord.get(PRODUCER_ID_BLOCK_PATH);
    let first = 0n;
    if (current !== null && current.data.length > 0) {
      const doc = parseJson<ProducerIdBlockDoc>(current.data);
      first = BigInt(doc.block_end) + 1n;
    }
    const block: ProducerIdBlock = { brokerId, firstProducerId: first, size };
    try {
      if (current === null) await coord.create(PRODUCER_ID_BLOCK_PATH, json(producerIdBlockDoc(block)));
      else await coord.set(PRODUCER_ID_BLOCK_PATH, json(producerIdBlockDoc(block)), current.version);
      return block;
    } catch (err) {
      // Another broker took the block first: read again.
      if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'nodeExists')) throw err;
    }
  }
  throw new Error(`could not reserve a producer id block in ${PRODUCER_ID_BLOCK_PATH} after ${CONFIG_WRITE_ATTEMPTS_MAX} attempts (contention)`);
}
