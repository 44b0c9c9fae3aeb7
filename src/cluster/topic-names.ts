/** Topic name rules, as Kafka enforces them: 1-249 chars of [a-zA-Z0-9._-], not '.' or '..'. */
import { limits } from '../limits.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Returns null when valid, else the reason (sent to the client with INVALID_TOPIC_EXCEPTION). */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > limits.topicNameLengthMax) {
    return `Topic name is illegal, it can't be longer than ${limits.topicNameLengthMax} characters, topic name: ${name}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export function isInternalTopic(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}
