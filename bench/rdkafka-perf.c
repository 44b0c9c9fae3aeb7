/*
 * rdkafka-perf: a librdkafka-based load generator, the cross-check for our own perf producer.
 * Produces N records of S bytes (null key, random upper-case value) to one topic as fast as
 * librdkafka allows, waits for every delivery report, and prints one line:
 *   rdkafka-perf: N records, X records/sec (Y MB/sec), E errors, T ms
 * Usage: rdkafka-perf BROKERS TOPIC NUM_RECORDS RECORD_SIZE [key=value librdkafka properties...]
 * Built by bench/run.mjs with: cc -O2 -o bench/build/rdkafka-perf bench/rdkafka-perf.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long delivered = 0, failed = 0;
static char first_error[512] = "";

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk; (void)opaque;
  if (m->err) {
    if (failed++ == 0) snprintf(first_error, sizeof first_error, "%s", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s BROKERS TOPIC NUM_RECORDS RECORD_SIZE [key=value...]\n", argv[0]);
    return 2;
  }
  const char *brokers = argv[1], *topic = argv[2];
  long long n = atoll(argv[3]);
  size_t size = (size_t)atol(argv[4]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *defaults[][2] = {
      {"bootstrap.servers", brokers}, {"acks", "1"}, {"linger.ms", "5"}, {"batch.size", "1000000"},
      {"queue.buffering.max.messages", "1000000"}, {"queue.buffering.max.kbytes", "1048576"},
      {"enable.idempotence", "false"}, {"compression.codec", "none"}, {"message.timeout.ms", "60000"}};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "rdkafka-perf: %s\n", err);
      return 2;
    }
  }
  for (int i = 5; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) { fprintf(stderr, "rdkafka-perf: %s is not key=value\n", argv[i]); return 2; }
    *eq = 0;
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "rdkafka-perf: %s\n", err);
      return 2;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "rdkafka-perf: %s\n", err); return 2; }
  char *value = malloc(size);
  for (size_t i = 0; i < size; i++) value[i] = 'A' + rand() % 26;
  /* Wait (bounded) for metadata so the timed loop measures producing, not connecting. */
  const struct rd_kafka_metadata *md;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  double start = now_ms();
  for (long long i = 0; i < n; i++) {
    for (int tries = 0;; tries++) {
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(value, size),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries > 600000) {
        fprintf(stderr, "rdkafka-perf: produce failed: %s\n", rd_kafka_err2str(e));
        return 1;
      }
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double ms = now_ms() - start;
  double rps = delivered / (ms / 1e3);
  printf("rdkafka-perf: %lld records, %.1f records/sec (%.2f MB/sec), %lld errors, %.0f ms\n", delivered, rps,
         rps * size / 1048576.0, failed, ms);
  if (failed) fprintf(stderr, "rdkafka-perf: first error: %s\n", first_error);
  rd_kafka_destroy(rk);
  free(value);
  return failed || delivered != n ? 1 : 0;
}
