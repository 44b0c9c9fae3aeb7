/**
 * Net: how the broker accepts connections (server) and opens them (replica fetchers), and moves
 * bytes. Production: io/node/net.ts over node:net (PLAINTEXT) and node:tls (SSL, SASL_SSL). The
 * simulator (test/sim/sim-net.ts) provides in-memory pipes with the same shape, with delays, drops
 * and partitions under a seeded scheduler; it refuses TLS.
 */
export interface ByteStream {
  readonly remoteAddress: string;
  /** Registers the handlers; called once. */
  start(handlers: { data(chunk: Buffer): void; close(hadError: boolean): void; error(err: Error): void; drain(): void }): void;
  /**
   * Writes all chunks as one gathered write, together with any chunks queued by writeSoon before
   * them; returns false when the kernel buffer is full (wait for drain).
   */
  writev(chunks: Buffer[]): boolean;
  /**
   * Queues chunks for this stream's next gathered write: the next writev, or the end of the
   * current event-loop turn (after the I/O events already read), whichever comes first. Several
   * responses finished in one turn then cost one write(2) and one wake-up of the reader. Returns
   * false when the buffer is full (wait for drain).
   */
  writeSoon(chunks: Buffer[]): boolean;
  pause(): void;
  resume(): void;
  /** Half-closes after pending writes flush. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** TLS streams: what the peer proved in the handshake. Absent or null on plaintext streams. */
  tlsPeer?(): TlsPeer | null;
}

/** The peer of a TLS stream. */
export interface TlsPeer {
  /**
   * The peer certificate's subject as an RFC 2253 distinguished name, most specific first
   * (`CN=alice,OU=eng,O=Example,C=US`, the form Java's X500Principal.getName() gives), or null when
   * the peer sent no certificate.
   */
  subjectDn: string | null;
  /** True when the peer's certificate chains to a trusted CA (false also when there is none). */
  authorized: boolean;
  /** Why the certificate was not trusted (OpenSSL's reason), when one was sent but not trusted. */
  authorizationError: string | null;
}

/** PEM or PKCS12 material for one side of a TLS connection (security/tls-config.ts builds it). */
export interface TlsMaterial {
  /** PEM private key and certificate chain, or `pfx` (PKCS12) with its passphrase. */
  keyPem?: string;
  certChainPem?: string;
  /** Passphrase of an encrypted PEM key or of the PKCS12 file. */
  passphrase?: string;
  pfx?: Buffer;
  /** Trusted CA certificates (PEM); absent: the platform's default CAs. */
  caPem?: string;
  /** Lowest and highest TLS version allowed ('TLSv1.2', 'TLSv1.3'). */
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list (TLS 1.2) and TLS 1.3 suites, colon-separated; absent: the defaults. */
  ciphers?: string;
}

export interface TlsServerOptions extends TlsMaterial {
  /** ssl.client.auth: none (no certificate asked), requested (asked, optional), required. */
  clientAuth: 'none' | 'requested' | 'required';
  /** A TLS handshake that has not finished after this long closes the socket. */
  handshakeTimeoutMs: number;
}

export interface TlsClientOptions extends TlsMaterial {
  /** Host name to check the server certificate against (ssl.endpoint.identification.algorithm=https), or null for no check. */
  verifyHostName: string | null;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface Net {
  /**
   * Accepts connections on host:port. With `tls`, `onConnection` sees only streams whose TLS
   * handshake finished (failed handshakes are reported to `onTlsError` and closed).
   */
  listen(
    host: string,
    port: number,
    onConnection: (stream: ByteStream) => void,
    opts?: { tls?: TlsServerOptions; onTlsError?: (remoteAddress: string, err: Error) => void },
  ): Promise<Listener>;
  /**
   * Opens a connection (with `tls`, resolves once the TLS handshake is done); rejects (an Error with
   * a Node-style `code` such as 'ECONNREFUSED' or 'ETIMEDOUT') when it cannot be made within
   * `timeoutMs`. No byte is lost before `start()`.
   */
  connect(host: string, port: number, opts: { timeoutMs: number; tls?: TlsClientOptions }): Promise<ByteStream>;
}
