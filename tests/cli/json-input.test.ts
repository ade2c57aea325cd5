/** Where a task file stops being JSON: the position in the one-line error must point at the real mistake. */
import { describe, expect, it } from 'vitest';
import { lineAndColumn, locateJsonError, parseJsonText } from '../../src/cli/json-input.js';

describe('locateJsonError', () => {
  it('accepts everything JSON.parse accepts', () => {
    const valid = ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "\\u597d\\n"]} ', '"x"', '0', '{"a":{"b":{}}}', '[{"k":"好的"}]'];
    for (const text of valid) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(locateJsonError(text), text).toBeNull();
    }
  });

  it('points at the first offending character of what JSON.parse rejects', () => {
    const cases: [string, number, RegExp][] = [
      ['{"a": 1,}', 8, /expected a "quoted" property name, found '}'/],
      ['{"a" 1}', 5, /expected ':'/],
      ['{"a": 1 "b": 2}', 8, /expected ',' or '}'/],
      ['[1, 2,]', 6, /expected a value, found ']'/],
      ["{'a': 1}", 1, /expected a "quoted" property name, found '''/],
      ['{"a": tru}', 6, /expected a value/],
      ['{"a": "x', 8, /closing quote of the string, found end of input/],
      ['{"a": 01}', 7, /expected ',' or '}'/],
      ['{} {}', 3, /expected the end of the document/],
      ['{"a": "\\x"}', 8, /expected an escape/],
    ];
    for (const [text, offset, reason] of cases) {
      expect(() => JSON.parse(text), text).toThrow();
      const found = locateJsonError(text);
      expect(found?.offset, text).toBe(offset);
      expect(found?.reason, text).toMatch(reason);
    }
  });
});

describe('parseJsonText', () => {
  it('names the input and gives line and column, in one line', () => {
    expect(() => parseJsonText('{\n  "task_id": "T1"\n  "type": "x"\n}', 'task.json', '--file')).toThrow(
      /^task\.json: not valid JSON at line 3, column 3: expected ',' or '}', found '"'$/,
    );
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('says an empty input is empty, and ignores a byte-order mark', () => {
    expect(() => parseJsonText(' \n', 'stdin', '--file')).toThrow('stdin: is empty; expected the task as JSON');
    expect(parseJsonText('\uFEFF{"a":1}', 'f', '--file')).toEqual({ a: 1 });
  });
});
