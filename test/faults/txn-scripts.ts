/**
 * The real transactional clients of the transaction fault run: confluent-kafka-python
 * (librdkafka's transactional producer and read_committed consumer) scripts, run with
 * /usr/bin/python3. Each prints one JSON object per line on stdout (flushed at once, so a process
 * killed with SIGKILL leaves every event it reported), and exits at its bound.
 *
 * WRITER  argv: bootstrap topic partitions writerId firstTxn txnCount seed
 *   Transactions of 1-8 records over random partitions, committed (75%) or aborted. Events:
 *   {ev:'begin', t, records:[{v,p}]} before producing; {ev:'commit-start', t, ms} just before
 *   commit_transaction; {ev:'committed'|'aborted'|'unknown', t}. An abortable error aborts; a
 *   commit that keeps failing retriably, or a fatal error, makes the outcome unknown and the
 *   producer is rebuilt (init_transactions fences the old epoch and completes or aborts its
 *   transaction); a process killed mid-transaction leaves it unknown as well.
 * TAIL    argv: bootstrap topic partitions durationMs
 *   read_committed, every partition from the beginning, until the duration ends:
 *   {v, p, o, ms} per record.
 * DRAIN   argv: bootstrap topic partitions isolation(read_committed|read_uncommitted) timeoutMs
 *   Reads every partition from the beginning to its end ({v, p, o, k} per record), then
 *   {ev:'done', eof: partitionsAtEnd, ends: [{p, position, high}]}: where the reader stopped (for
 *   read_committed, the last stable offset) and the high watermark; after every transaction has
 *   ended the two are equal, else a transaction hangs.
 * PIPELINE argv: bootstrap inTopic outTopic group transactionalId durationMs
 *   The exactly-once loop: consume (read_committed, no auto commit), produce `o-<seq>` for each
 *   input `i-<seq>` with the same key to the same partition number, send the consumer's positions
 *   with send_offsets_to_transaction, commit. On an abortable error it aborts and rewinds to the
 *   committed offsets; on a fatal one it exits 3 (the harness starts a new process, as an
 *   orchestrator would). Events: {ev:'txn', n, ms} per committed transaction, {ev:'abort', err}.
 */

/**
 * Python shared by the transactional scripts: `emit` (one flushed JSON line) and `commit_retrying`
 * (commit_transaction retried while librdkafka calls the error retriable; True once committed,
 * False when it kept failing, raises for abortable and fatal errors).
 */
const PY_COMMON = String.raw`
def emit(o):
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
def commit_retrying(p, on_retry=lambda err: None, attempts=5):
    for attempt in range(attempts):
        try:
            p.commit_transaction(20)
            return True
        except KafkaException as e:
            err = e.args[0]
            if err.retriable() and not err.txn_requires_abort() and not err.fatal():
                on_retry(err)
                continue
            raise
    return False
`;

export const WRITER = String.raw`
import json, os, random, sys, time
from confluent_kafka import Producer, KafkaException
bootstrap, topic, parts, wid, first, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
debug = {'debug': os.environ['TXN_CLIENT_DEBUG']} if os.environ.get('TXN_CLIENT_DEBUG') else {}
rnd = random.Random(seed)
${PY_COMMON}
def make():
    for attempt in range(30):
        p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'txw-' + wid,
                      'transaction.timeout.ms': 10000, 'message.timeout.ms': 10000,
                      'socket.timeout.ms': 5000, 'linger.ms': 2, 'enable.idempotence': True, **debug})
        try:
            p.init_transactions(20)
            return p
        except KafkaException as e:
            emit({'ev': 'init-failed', 'err': str(e.args[0])})
            time.sleep(0.5)
    sys.exit(4)
p = make()
for t in range(first, first + count):
    n = rnd.randint(1, 8)
    commit = rnd.random() < 0.75
    recs = [{'v': 'w%s-t%d-r%d' % (wid, t, j), 'p': rnd.randrange(parts)} for j in range(n)]
    emit({'ev': 'begin', 't': t, 'records': recs})
    try:
        p.begin_transaction()
        for r in recs:
            p.produce(topic, value=r['v'].encode(), partition=r['p'])
        if not commit:
            p.abort_transaction(20)
            emit({'ev': 'aborted', 't': t})
            continue
        emit({'ev': 'commit-start', 't': t, 'ms': time.time() * 1000})
        if commit_retrying(p, lambda err: emit({'ev': 'commit-retry', 't': t, 'err': str(err)})):
            emit({'ev': 'committed', 't': t})
        else:
            emit({'ev': 'unknown', 't': t, 'why': 'commit kept failing'})
            p = make()
    except KafkaException as e:
        err = e.args[0]
        emit({'ev': 'error', 't': t, 'err': str(err), 'abortable': err.txn_requires_abort(), 'fatal': err.fatal(), 'ms': time.time() * 1000})
        if err.txn_requires_abort():
            try:
                p.abort_transaction(20)
                emit({'ev': 'aborted', 't': t})
                continue
            except KafkaException as e2:
                emit({'ev': 'error', 't': t, 'err': str(e2.args[0]), 'ms': time.time() * 1000})
        emit({'ev': 'unknown', 't': t, 'why': str(err)})
        p = make()
emit({'ev': 'end'})
`;

export const TAIL = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, parts, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) / 1000.0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'tail', 'enable.auto.commit': False,
              'isolation.level': 'read_committed', 'socket.timeout.ms': 5000})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
end = time.time() + duration
out = sys.stdout
while time.time() < end:
    for m in c.consume(num_messages=500, timeout=0.2):
        if m.error() is None:
            out.write(json.dumps({'v': m.value().decode(), 'p': m.partition(), 'o': m.offset(), 'ms': time.time() * 1000}) + '\n')
    out.flush()
c.close()
`;

export const DRAIN = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, parts, isolation, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]) / 1000.0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'drain', 'enable.auto.commit': False,
              'isolation.level': isolation, 'enable.partition.eof': True, 'socket.timeout.ms': 5000})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
eof = set()
end = time.time() + timeout
while len(eof) < parts and time.time() < end:
    for m in c.consume(num_messages=500, timeout=0.5):
        if m.error() is not None:
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
            continue
        eof.discard(m.partition())
        k = m.key().decode() if m.key() is not None else None
        sys.stdout.write(json.dumps({'v': m.value().decode(), 'p': m.partition(), 'o': m.offset(), 'k': k}) + '\n')
ends = []
for tp in c.position([TopicPartition(topic, p) for p in range(parts)]):
    low, high = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
    ends.append({'p': tp.partition, 'position': tp.offset, 'high': high})
sys.stdout.write(json.dumps({'ev': 'done', 'eof': len(eof), 'ends': ends}) + '\n')
c.close()
`;

export const PIPELINE = String.raw`
import json, sys, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition, OFFSET_BEGINNING
bootstrap, src, dst, group, tid, duration = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]) / 1000.0
${PY_COMMON}
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
              'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest',
              'session.timeout.ms': 10000, 'socket.timeout.ms': 5000})
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid, 'transaction.timeout.ms': 10000,
              'message.timeout.ms': 10000, 'socket.timeout.ms': 5000, 'linger.ms': 2})
p.init_transactions(30)
c.subscribe([src])
def rewind():
    parts = c.assignment()
    if not parts:
        return
    for tp in c.committed(parts, timeout=10):
        c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
end = time.time() + duration
while time.time() < end:
    msgs = [m for m in c.consume(num_messages=50, timeout=0.5) if m.error() is None]
    if not msgs:
        continue
    try:
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=b'o' + m.value()[1:], partition=m.partition())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 20)
        if not commit_retrying(p):
            emit({'ev': 'exit', 'why': 'commit kept failing'})
            sys.exit(3)
        emit({'ev': 'txn', 'n': len(msgs), 'ms': time.time() * 1000})
    except KafkaException as e:
        err = e.args[0]
        emit({'ev': 'abort', 'err': str(err), 'abortable': err.txn_requires_abort(), 'fatal': err.fatal()})
        if not err.txn_requires_abort():
            sys.exit(3)
        try:
            p.abort_transaction(20)
            rewind()
        except KafkaException as e2:
            emit({'ev': 'exit', 'why': str(e2.args[0])})
            sys.exit(3)
emit({'ev': 'end'})
`;
