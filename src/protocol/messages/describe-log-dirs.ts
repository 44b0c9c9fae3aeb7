/**
 * DescribeLogDirs (key 35), versions 0-4, flexible from 2.
 * Request: topics (null = every partition)[topic, partitions].
 * Response: throttleTimeMs, errorCode (v3+), results[errorCode, logDir, topics[name, partitions[
 * partitionIndex, partitionSize, offsetLag, isFutureKey]], totalBytes (v4+), usableBytes (v4+)].
 */
import { f, type ApiDef } from '../schema.js';

export const describeLogDirsApi: ApiDef = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 2,
  request: [f('topics', [f('topic', 'string'), f('partitions', 'int32[]')], '0+', { nullable: '0+', default: null })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16', '3+'),
    f('results', [
      f('errorCode', 'int16'),
      f('logDir', 'string'),
      f('topics', [
        f('name', 'string'),
        f('partitions', [
          f('partitionIndex', 'int32'),
          f('partitionSize', 'int64'),
          f('offsetLag', 'int64'),
          f('isFutureKey', 'bool'),
        ]),
      ]),
      f('totalBytes', 'int64', '4+', { default: -1n }),
      f('usableBytes', 'int64', '4+', { default: -1n }),
    ]),
  ],
};

export interface DescribeLogDirsRequest {
  topics: Array<{ topic: string; partitions: number[] }> | null;
}

export interface DescribeLogDirsResponse {
  throttleTimeMs: number;
  errorCode: number;
  results: Array<{
    errorCode: number;
    logDir: string;
    topics: Array<{
      name: string;
      partitions: Array<{ partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }>;
    }>;
    totalBytes: bigint;
    usableBytes: bigint;
  }>;
}
