/**
 * Goal: parseProperties reads Java .properties text the way java.util.Properties does, so any
 * Kafka server.properties means the same thing to Samsa.
 * Method: small inline texts, one rule per test (comments, separators, continuations, escapes,
 * duplicates, line numbers), compared against the values Java's documented rules give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-def.js';
import { parseProperties, parsePropertiesToMap } from '../../src/config/properties.js';

const values = (text: string) => Object.fromEntries(parsePropertiesToMap(text));

test('comments with # and ! and blank lines are skipped', () => {
  assert.deepEqual(values('# a comment\n  ! another\n\n\t\na=1\n   # indented comment\n'), { a: '1' });
});

test('key=value, key: value and key value are the same entry', () => {
  assert.deepEqual(values('a=1\nb: 2\nc 3\nd\t=\t4\ne    :5\nf = = 6'), { a: '1', b: '2', c: '3', d: '4', e: '5', f: '= 6' });
});

test('leading whitespace is trimmed, trailing whitespace of the value is kept', () => {
  assert.deepEqual(values('   a = value  \n'), { a: 'value  ' });
});

test('a key with no value maps to the empty string', () => {
  assert.deepEqual(values('a\nb=\nc:'), { a: '', b: '', c: '' });
});

test('a trailing backslash continues the line and the next line loses its leading whitespace', () => {
  assert.deepEqual(values('list=a,\\\n    b,\\\n\t c\nnext=1'), { list: 'a,b,c', next: '1' });
});

test('a continued line starting with # is content, a comment ending in a backslash does not continue', () => {
  assert.deepEqual(values('a=x\\\n#y\n# comment \\\nb=2'), { a: 'x#y', b: '2' });
});

test('an even number of trailing backslashes is an escaped backslash, not a continuation', () => {
  assert.deepEqual(values('path=C:\\\\dir\\\\\nb=2'), { path: 'C:\\dir\\', b: '2' });
});

test('escapes: \\t \\n \\r \\f \\uXXXX \\\\ and escaped separators', () => {
  assert.deepEqual(values('a=x\\ty\\nz\\r\\f\nb=\\u0041\\u00e9\nc=back\\\\slash\nkey\\=with\\:sep\\ s=v\nd=\\q'), {
    a: 'x\ty\nz\r\f',
    b: 'Aé',
    c: 'back\\slash',
    'key=with:sep s': 'v',
    d: 'q',
  });
});

test('CRLF and CR line endings work, and a byte order mark is ignored', () => {
  assert.deepEqual(values('\uFEFFa=1\r\nb=2\rc=3'), { a: '1', b: '2', c: '3' });
});

test('a malformed \\u escape is a ConfigError naming the source and line', () => {
  assert.throws(
    () => parseProperties('a=1\n\nb=\\u12G4', 'server.properties'),
    (error: unknown) => error instanceof ConfigError && /server\.properties line 3/.test(error.message) && !error.message.includes('\n'),
  );
});

test('entries keep first-appearance order and line numbers; a repeated key keeps the last value and earlier lines', () => {
  const entries = parseProperties('# header\nb=1\na=2\n\nb=3\nlong=x\\\n  y\nafter=z');
  assert.deepEqual([...entries.keys()], ['b', 'a', 'long', 'after']);
  assert.deepEqual(entries.get('b'), { value: '3', line: 5, earlierLines: [2] });
  assert.equal(entries.get('long')!.line, 6);
  assert.equal(entries.get('after')!.line, 8);
});

test('a continuation at the end of input ends the value', () => {
  assert.deepEqual(values('a=1\\'), { a: '1' });
});
