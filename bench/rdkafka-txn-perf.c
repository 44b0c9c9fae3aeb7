/*
 * rdkafka-txn-perf: transactional produce through librdkafka's transactional producer, and the
 * end-to-end latency of committed records as a read_committed consumer sees them.
 *
 * Usage: rdkafka-txn-perf BROKERS TOPIC PARTITIONS NUM_TXNS RECORDS_PER_TXN RECORD_SIZE [TXNS_PER_SEC] [key=value...]
 *   One untimed transaction comes first (client start-up: metadata, connections).
 *   Without TXNS_PER_SEC: transactions back to back (begin, RECORDS_PER_TXN records spread
 *   round-robin over the partitions, commit), as fast as one producer can; prints
 *     rdkafka-txn-perf: T txns, N records, X records/sec, Y txns/sec, T ms
 *   With TXNS_PER_SEC: transactions at that rate while a read_committed consumer (its own thread,
 *   assigned to every partition at its end) reads them; each value starts with the monotonic time
 *   it was produced, so the consumer measures produce → visible-to-read_committed; prints
 *     rdkafka-txn-perf latency: N records, p50 A ms, p99 B ms, max C ms
 *   key=value arguments are librdkafka properties set on the producer after the defaults (e.g.
 *   debug=eos,protocol or retry.backoff.ms=20), for looking into where a transaction's time goes.
 * Built by bench/run.mjs with: cc -O2 -o bench/build/rdkafka-txn-perf bench/rdkafka-txn-perf.c -lrdkafka -lpthread
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "rdkafka-txn-perf: %s: %s\n", what, detail);
  exit(1);
}

static void check(rd_kafka_error_t *e, const char *what) {
  if (e) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    die(what, msg);
  }
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die("config", err);
}

struct reader {
  const char *brokers, *topic;
  int partitions;
  long long expected, got;
  double *latencies;
  volatile int ready, stop;
};

static void *read_committed(void *arg) {
  struct reader *r = arg;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char err[512];
  set(conf, "bootstrap.servers", r->brokers);
  set(conf, "group.id", "rdkafka-txn-perf");
  set(conf, "enable.auto.commit", "false");
  set(conf, "isolation.level", "read_committed");
  set(conf, "fetch.wait.max.ms", "10");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("consumer", err);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(r->partitions);
  for (int p = 0; p < r->partitions; p++) rd_kafka_topic_partition_list_add(parts, r->topic, p)->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  double readyAt = now_ms();
  while (!r->stop && r->got < r->expected) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
    if (!r->ready && now_ms() - readyAt > 1000) r->ready = 1; /* let the assignment settle at the end */
    if (!m) continue;
    if (!m->err && m->len >= 20) {
      char stamp[21];
      memcpy(stamp, m->payload, 20);
      stamp[20] = 0;
      r->latencies[r->got++] = now_ms() - atof(stamp);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return NULL;
}

/* A delivery callback, as any real producer has one: without it librdkafka drops delivery reports
 * and commit_transaction's flush can only notice the last delivery by polling in 10 ms steps,
 * which alone was ~9 ms of every ~12 ms transaction. */
static long long delivery_failures;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (delivery_failures++ == 0) fprintf(stderr, "rdkafka-txn-perf: delivery failed: %s\n", rd_kafka_err2str(m->err));
  }
}

/* One transaction of `per` records; with `stamp`, each value starts with its produce time. */
static void one_txn(rd_kafka_t *rk, const char *topic, int partitions, long long per, char *value, size_t size, int stamp) {
  check(rd_kafka_begin_transaction(rk), "begin_transaction");
  for (long long i = 0; i < per; i++) {
    if (stamp) {
      char text[32];
      snprintf(text, sizeof text, "%020.3f", now_ms());
      memcpy(value, text, 20);
    }
    for (int tries = 0;; tries++) {
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                                                RD_KAFKA_V_VALUE(value, size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries > 600000) die("produce", rd_kafka_err2str(e));
      rd_kafka_poll(rk, 1);
    }
  }
  check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction");
  if (delivery_failures > 0) die("produce", "a record of a committed transaction was not delivered");
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s BROKERS TOPIC PARTITIONS NUM_TXNS RECORDS_PER_TXN RECORD_SIZE [TXNS_PER_SEC] [key=value...]\n", argv[0]);
    return 2;
  }
  const char *brokers = argv[1], *topic = argv[2];
  int partitions = atoi(argv[3]);
  long long txns = atoll(argv[4]), per = atoll(argv[5]);
  size_t size = (size_t)atol(argv[6]);
  int props = 7;
  double rate = argc > 7 && !strchr(argv[7], '=') ? atof(argv[props++]) : 0;
  if (partitions < 1 || txns < 1 || per < 1 || size < 24) die("arguments", "need PARTITIONS, NUM_TXNS, RECORDS_PER_TXN >= 1 and RECORD_SIZE >= 24");
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "transactional.id", "rdkafka-txn-perf");
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "message.timeout.ms", "60000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  for (int i = props; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) die("arguments", "properties after TXNS_PER_SEC must be key=value");
    *eq = 0;
    set(conf, argv[i], eq + 1);
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("producer", err);
  check(rd_kafka_init_transactions(rk, 30000), "init_transactions");
  char *value = malloc(size);
  for (size_t i = 0; i < size; i++) value[i] = 'A' + rand() % 26;

  /* One untimed transaction first: the producer learns the topic's leaders (librdkafka's first
   * metadata request for a new topic comes from a 1 s timer) and connects to every broker, so the
   * figures are steady-state transactions, not client start-up. Before the reader starts: it
   * reads from the end. */
  one_txn(rk, topic, partitions, per, value, size, 0);

  struct reader r = {brokers, topic, partitions, txns * per, 0, NULL, 0, 0};
  pthread_t thread;
  if (rate > 0) {
    r.latencies = malloc(sizeof(double) * (size_t)r.expected);
    pthread_create(&thread, NULL, read_committed, &r);
    for (int i = 0; i < 200 && !r.ready; i++) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  double start = now_ms();
  for (long long t = 0; t < txns; t++) {
    if (rate > 0) {
      double due = start + t * 1000.0 / rate;
      while (now_ms() < due) {
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
      }
    }
    one_txn(rk, topic, partitions, per, value, size, rate > 0);
  }
  double ms = now_ms() - start;
  if (rate > 0) {
    double deadline = now_ms() + 30000;
    while (r.got < r.expected && now_ms() < deadline) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    r.stop = 1;
    pthread_join(thread, NULL);
    if (r.got == 0) die("latency", "the read_committed consumer read nothing");
    qsort(r.latencies, (size_t)r.got, sizeof(double), cmp);
    printf("rdkafka-txn-perf latency: %lld records, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.got, r.latencies[r.got / 2],
           r.latencies[(long long)(r.got * 0.99)], r.latencies[r.got - 1]);
    if (r.got != r.expected) fprintf(stderr, "rdkafka-txn-perf: read %lld of %lld committed records\n", r.got, r.expected);
  } else {
    printf("rdkafka-txn-perf: %lld txns, %lld records, %.1f records/sec, %.1f txns/sec, %.0f ms\n", txns, txns * per,
           txns * per / (ms / 1e3), txns / (ms / 1e3), ms);
  }
  rd_kafka_destroy(rk);
  free(value);
  return rate > 0 && r.got != r.expected ? 1 : 0;
}
