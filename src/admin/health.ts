/**
 * GET /health and GET /ready (Kubernetes liveness and readiness probes).
 *
 * /health: 200 while the process serves HTTP at all (during start-up and shutdown too); 503 once
 * the broker has given up (every log dir failed) and is about to exit.
 *
 * /ready: 200 only while the broker can serve its share of the cluster — it is RUNNING (listeners
 * bound, logs loaded, registered), its coordination session is sound (ZooKeeper mode), and every
 * partition the metadata says it leads is hosted here as leader with its log online. Otherwise
 * 503 with the reasons, one per line after the first ("not ready: ...").
 */
import { BrokerState, type BrokerStateValue } from '../metrics/broker-metrics.js';
import { route, textResponse, type AdminHttpHandler } from './http.js';

export interface ReadinessView {
  state(): BrokerStateValue;
  /** Set once the broker is shutting down for good (fatal). */
  fatal(): string | null;
  /** Reasons beyond the state (membership, led partitions); empty when none. */
  problems(): string[];
}

const STATE_REASON: Record<number, string> = {
  [BrokerState.NOT_RUNNING]: 'broker not running',
  [BrokerState.STARTING]: 'broker starting (joining the cluster)',
  [BrokerState.RECOVERY]: 'broker starting: loading logs',
  [BrokerState.PENDING_CONTROLLED_SHUTDOWN]: 'broker shutting down (controlled shutdown: moving leadership away)',
  [BrokerState.SHUTTING_DOWN]: 'broker shutting down',
};

const NO_CACHE = { 'Cache-Control': 'no-store' };

export function healthHandler(view: ReadinessView): AdminHttpHandler {
  return route('/health', () => {
    const fatal = view.fatal();
    return fatal === null ? textResponse(200, 'ok', NO_CACHE) : textResponse(503, `failing: ${fatal}`, NO_CACHE);
  });
}

/** Why the broker is not ready, or an empty list. */
export function notReadyReasons(view: ReadinessView): string[] {
  const fatal = view.fatal();
  if (fatal !== null) return [`failing: ${fatal}`];
  const state = view.state();
  if (state !== BrokerState.RUNNING) return [STATE_REASON[state] ?? `broker state ${state}`];
  return view.problems();
}

export function readyHandler(view: ReadinessView): AdminHttpHandler {
  return route('/ready', () => {
    const reasons = notReadyReasons(view);
    if (reasons.length === 0) return textResponse(200, 'ready', NO_CACHE);
    return textResponse(503, `not ready: ${reasons.join('\n')}`, NO_CACHE);
  });
}
