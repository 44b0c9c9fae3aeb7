/**
 * JAAS login configuration as Kafka reads `sasl.jaas.config`: one or more
 * `<LoginModuleClass> <required|requisite|sufficient|optional> key=value ... ;` entries; values are
 * bare words or double-quoted strings (a backslash escapes the next character). What matters to a
 * broker: the PLAIN module's `user_<name>="<password>"` entries (the users it accepts) and the
 * `username` / `password` it uses itself as a client of other brokers.
 */

export interface LoginModule {
  className: string;
  flag: string;
  options: ReadonlyMap<string, string>;
}

export class JaasError extends Error {
  override name = 'JaasError';
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

/** Parses the entries; throws JaasError with a one-line reason that never quotes a value. */
export function parseJaasConfig(text: string): LoginModule[] {
  const modules: LoginModule[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < n && /[^\s=;"]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  for (let guard = 0; guard <= n; guard++) {
    skipSpace();
    if (i >= n) break;
    const className = word();
    if (className === '') throw new JaasError(`expected a login module class name at position ${i}`);
    skipSpace();
    const flag = word().toLowerCase();
    if (!FLAGS.has(flag)) throw new JaasError(`login module ${className} needs a control flag (required, requisite, sufficient or optional) after its class name`);
    const options = new Map<string, string>();
    for (let g = 0; g <= n; g++) {
      skipSpace();
      if (i >= n) throw new JaasError(`login module ${className} is not terminated with ';'`);
      if (text[i] === ';') {
        i++;
        break;
      }
      const key = word();
      skipSpace();
      if (key === '' || text[i] !== '=') throw new JaasError(`login module ${className}: expected key=value at position ${i}`);
      i++;
      skipSpace();
      let value: string;
      if (text[i] === '"') {
        i++;
        let out = '';
        for (; i < n && text[i] !== '"'; i++) {
          if (text[i] === '\\' && i + 1 < n) i++;
          out += text[i];
        }
        if (i >= n) throw new JaasError(`login module ${className}: the value of ${key} has no closing quote`);
        i++;
        value = out;
      } else {
        value = word();
      }
      options.set(key, value);
    }
    modules.push({ className, flag, options });
  }
  return modules;
}

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

/** The first module of `className` (matched on the simple class name too), or null. */
export function findModule(modules: readonly LoginModule[], className: string): LoginModule | null {
  const simple = className.slice(className.lastIndexOf('.') + 1);
  return modules.find((m) => m.className === className || m.className.endsWith(`.${simple}`) || m.className === simple) ?? null;
}
