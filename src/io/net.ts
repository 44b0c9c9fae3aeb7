/**
 * Net: how the server accepts connections and moves bytes. Production: io/node/net.ts over node:net.
 * A simulator can provide in-memory pipes with the same shape.
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
}
