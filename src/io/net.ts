/**
 * Net: how the broker accepts connections (server) and opens them (replica fetchers), and moves
 * bytes. Production: io/node/net.ts over node:net. The simulator (test/sim/sim-net.ts) provides
 * in-memory pipes with the same shape, with delays, drops and partitions under a seeded scheduler.
 */
export interface ByteStream {
  readonly remoteAddress: string;
  /** Registers the handlers; called once. */
  start(handlers: { data(chunk: Buffer): void; close(hadError: boolean): void; error(err: Error): void; drain(): void }): void;
  /** Writes all chunks as one gathered write; returns false when the kernel buffer is full (wait for drain). */
  writev(chunks: Buffer[]): boolean;
  pause(): void;
  resume(): void;
  /** Half-closes after pending writes flush. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface Net {
  listen(host: string, port: number, onConnection: (stream: ByteStream) => void): Promise<Listener>;
  /**
   * Opens a connection; rejects (an Error with a Node-style `code` such as 'ECONNREFUSED' or
   * 'ETIMEDOUT') when it cannot be made within `timeoutMs`. No byte is lost before `start()`.
   */
  connect(host: string, port: number, opts: { timeoutMs: number }): Promise<ByteStream>;
}
