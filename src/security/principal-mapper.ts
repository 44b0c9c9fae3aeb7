/**
 * ssl.principal.mapping.rules: from a client certificate's subject DN (RFC 2253, `CN=alice,OU=eng,
 * O=Example,C=US`) to a principal name, with Kafka's syntax: a comma-separated list of
 * `RULE:pattern/replacement/` (optionally followed by `L` or `U` to lower- or upper-case the result)
 * and `DEFAULT` (the DN itself). Rules are tried in order; a RULE applies when its pattern matches
 * the whole DN, and the DN with the pattern replaced (`$1` for groups) is the name. When no rule
 * applies the connection is refused, as Kafka refuses it.
 */

export type MappingRule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; caseChange: '' | 'L' | 'U' };

export class PrincipalMappingError extends Error {
  override name = 'PrincipalMappingError';
}

/** Parses the rules; throws PrincipalMappingError with a one-line reason on bad syntax. */
export function parseMappingRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  let i = 0;
  const n = text.length;
  for (let guard = 0; guard <= n; guard++) {
    while (i < n && (text[i] === ',' || /\s/.test(text[i]!))) i++;
    if (i >= n) break;
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ kind: 'default' });
      i += 'DEFAULT'.length;
    } else if (text.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const pattern = readUntilSlash(text, i);
      if (pattern === null) throw new PrincipalMappingError(`rule at position ${i} has no '/' after its pattern; write RULE:pattern/replacement/[LU]`);
      i = pattern.end + 1;
      const replacement = readUntilSlash(text, i);
      if (replacement === null) throw new PrincipalMappingError(`rule at position ${i} has no '/' after its replacement; write RULE:pattern/replacement/[LU]`);
      i = replacement.end + 1;
      let caseChange: '' | 'L' | 'U' = '';
      if (text[i] === 'L' || text[i] === 'U') caseChange = text[i++] as 'L' | 'U';
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${pattern.text})$`);
      } catch (err) {
        throw new PrincipalMappingError(`pattern '${pattern.text}' is not a valid regular expression: ${(err as Error).message}`);
      }
      rules.push({ kind: 'rule', pattern: regex, replacement: unescapeReplacement(replacement.text), caseChange });
    } else {
      throw new PrincipalMappingError(`unexpected '${text.slice(i, i + 20)}'; each rule is RULE:pattern/replacement/[LU] or DEFAULT`);
    }
    if (i < n && text[i] !== ',' && !/\s/.test(text[i]!)) throw new PrincipalMappingError(`unexpected '${text.slice(i, i + 20)}' after a rule; separate rules with commas`);
  }
  if (rules.length === 0) throw new PrincipalMappingError('no rules; use DEFAULT for the DN as it is');
  return rules;
}

/** The principal name for `dn`, or null when no rule applies. */
export function mapPrincipal(rules: readonly MappingRule[], dn: string): string | null {
  for (const rule of rules) {
    if (rule.kind === 'default') return dn;
    if (!rule.pattern.test(dn)) continue;
    const name = dn.replace(rule.pattern, rule.replacement);
    return rule.caseChange === 'L' ? name.toLowerCase() : rule.caseChange === 'U' ? name.toUpperCase() : name;
  }
  return null;
}

/** Text from `start` to the next '/' not escaped by a backslash; escapes are kept (the regex reads them). */
function readUntilSlash(text: string, start: number): { text: string; end: number } | null {
  for (let i = start; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '/') return { text: text.slice(start, i), end: i };
  }
  return null;
}

/** Java replacement strings escape with a backslash (`\$` is a dollar); JavaScript's use `$$`. */
function unescapeReplacement(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === '$' ? '$$' : c));
}
