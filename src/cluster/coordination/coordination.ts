/**
 * Coordination: the small service the cluster controller needs from a coordination backend, and
 * nothing ZooKeeper-specific beyond its data model (a tree of versioned nodes, some owned by a
 * session). Implementations: `zookeeper.ts` (real Apache ZooKeeper over node-zookeeper-client)
 * and, for the simulator and the controller's unit tests, `test/sim/sim-zookeeper.ts` (an in-memory
 * ZooKeeper on simulated time and network). A built-in Raft quorum can implement the same interface
 * later without touching the controller's callers (handlers see only Controller).
 *
 * Semantics every implementation provides:
 * - A *session* owns ephemeral nodes; when it ends (close, or expiry after the session timeout
 *   without contact) they disappear. `onSession` reports 'connected' (the same session is usable
 *   again), 'disconnected' (no contact; the session may still be alive) and 'expired' followed by
 *   'newSession' (the backend opened a fresh session; ephemerals and watches of the old one are gone,
 *   so the owner must re-register and re-read everything).
 * - Writes are conditional on a node's version when `expectedVersion` is given (-1 or undefined:
 *   unconditional). A version mismatch fails with kind 'badVersion'.
 * - Reads may leave a one-shot watch: the callback runs once after the node (or its child list)
 *   next changes or is deleted. Watches never outlive their session.
 * - `multi` applies a list of checks and writes atomically (all or nothing).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';


/** How a broker opens its coordination backend (zookeeper.connect); passed in with the io bundle. */
export interface CoordinationOptions {
  /** host:port[,host:port...][/chroot], validated by the config. */
  connect: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Builds a session-based coordination client: production passes zookeeper.ts's
 * `zookeeperCoordination` (real ZooKeeper); the simulator passes its in-memory ZooKeeper.
 * `healthy` (optional) is false once the session may have been lost (see zookeeper.ts).
 */
export type CoordinationFactory = (opts: CoordinationOptions) => Coordination & { readonly healthy?: boolean };

export type CoordinationErrorKind = 'noNode' | 'nodeExists' | 'badVersion' | 'notEmpty' | 'connectionLoss' | 'sessionExpired' | 'other';

export class CoordinationError extends Error {
  constructor(
    readonly kind: CoordinationErrorKind,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'CoordinationError';
  }
}

export function isCoordinationError(err: unknown, kind?: CoordinationErrorKind): err is CoordinationError {
  return err instanceof CoordinationError && (kind === undefined || err.kind === kind);
}

export interface NodeData {
  data: Buffer;
  /** The node's data version (ZooKeeper zkVersion): bumps on every setData. */
  version: number;
  /** True when the node is ephemeral and owned by this client's current session. */
  ownedBySession: boolean;
  /**
   * The transaction that created the node (ZooKeeper's czxid), as text: the same for the node's
   * whole life, different for a node deleted and created again. The controller uses a broker
   * registration's as that broker's epoch (Kafka's KIP-380): a new value means the broker restarted.
   */
  createdTxId: string;
}

export type Watcher = () => void;

export type SessionEvent = 'connected' | 'disconnected' | 'expired' | 'newSession';

export type MultiOp =
  | { op: 'check'; path: string; version: number }
  | { op: 'create'; path: string; data: Buffer }
  | { op: 'set'; path: string; data: Buffer; version: number }
  | { op: 'delete'; path: string; version: number };

export interface Coordination {
  /** Opens the first session; rejects if no server answers within the connection timeout. */
  start(): Promise<void>;
  /** Ends the session (its ephemeral nodes disappear at once) and stops reconnecting. */
  close(): Promise<void>;
  /** Session state changes, in order. */
  onSession(listener: (event: SessionEvent) => void): void;
  /** True while the current session is connected. */
  readonly connected: boolean;

  /** Creates a node; parents must exist. Fails 'nodeExists'. Returns the created path (sequential nodes get a suffix). */
  create(path: string, data: Buffer, mode?: { ephemeral?: boolean; sequential?: boolean }): Promise<string>;
  /** Creates a persistent node and any missing parents, empty data; no error if it exists. */
  ensurePath(path: string): Promise<void>;
  /** The node's data and version, or null when it does not exist (a watch then fires on creation). */
  get(path: string, watch?: Watcher): Promise<NodeData | null>;
  /** Child names, or null when the node does not exist. The watch fires on child add/remove or node deletion. */
  children(path: string, watch?: Watcher): Promise<string[] | null>;
  /** Replaces the data, conditionally on `expectedVersion`; returns the new version. */
  set(path: string, data: Buffer, expectedVersion?: number): Promise<number>;
  /** Deletes a node (conditionally); fails 'noNode', 'notEmpty' or 'badVersion'. */
  delete(path: string, expectedVersion?: number): Promise<void>;
  /** Atomic batch; fails with the first failing op's kind. Returns the new version of each 'set' op in order. */
  multi(ops: MultiOp[]): Promise<number[]>;
}

/** Deletes a node and everything under it (not atomic; tolerant of concurrent deletes). */
export async function deleteRecursive(c: Coordination, path: string): Promise<void> {
  const kids = await c.children(path);
  if (kids === null) return;
  for (const k of kids) await deleteRecursive(c, `${path}/${k}`);
  try {
    await c.delete(path);
  } catch (err) {
    if (!isCoordinationError(err, 'noNode')) throw err; // someone else removed it: the goal is reached
  }
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
export const parseJson = <T>(data: Buffer): T => JSON.parse(data.toString('utf8')) as T;
