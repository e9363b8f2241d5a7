/**
 * JSON fixtures: strict parsing with located messages, rectangular arrays of any rank,
 * no prototype pollution, exact float64 round trips.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { InputError } from '../src/errors';
import { encodeJsonArrays, formatJsonNumber, parseJsonArrays } from '../src/io/json';
import type { Arrays, Tensor } from '../src/tensor';
import { throwsInput, hex } from './helpers';



describe('io/json: reading', () => {
  it('reads ranks 0 to 4 with their shapes, in C order', () => {
    const a = parseJsonArrays(`{
      "s": 2.5,
      "v": [1, 2, 3],
      "m": [[1, 2, 3], [4, 5, 6]],
      "t": [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]],
      "q": [[[[1]]], [[[2]]]]
    }`, 'a.json');
    assert.deepEqual(Object.keys(a), ['s', 'v', 'm', 't', 'q']);
    assert.deepEqual(a.s.shape, []);
    assert.deepEqual([...a.s.data], [2.5]);
    assert.deepEqual(a.v.shape, [3]);
    assert.deepEqual(a.m.shape, [2, 3]);
    assert.deepEqual([...a.m.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(a.t.shape, [3, 2, 2]);
    assert.deepEqual([...a.t.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(a.q.shape, [2, 1, 1, 1]);
    assert.ok(a.m.data instanceof Float64Array);
  });

  it('reads empty arrays with their shapes', () => {
    const a = parseJsonArrays('{"e": [], "e2": [[], []]}', 'e.json');
    assert.deepEqual(a.e.shape, [0]);
    assert.deepEqual(a.e2.shape, [2, 0]);
    assert.deepEqual(parseJsonArrays('{}', 'x.json'), Object.create(null));
  });

  it('reads numbers exactly as JSON.parse does (correctly rounded), keeping -0', () => {
    const texts = ['0', '-0', '0.1', '1e-7', '5e-324', '2.2250738585072014e-308', '1.7976931348623157e308', '123456789012345678901234567890',
      '0.30000000000000004', '-1.5E+3', '4.9406564584124654e-324', '1e-400', '9007199254740993'];
    const a = parseJsonArrays(`{"x": [${texts.join(', ')}]}`, 'n.json');
    assert.equal(hex(a.x.data), hex(Float64Array.from(texts.map((t) => JSON.parse(t) as number))));
    assert.ok(Object.is(a.x.data[1], -0));
  });

  it('accepts a byte order mark, escapes in names and any JSON whitespace', () => {
    const a = parseJsonArrays('\ufeff \t\r\n{"W\\u00e4x\\n\\"q\\"" :\t[ 1 ,\r\n2 ] }\n', 'b.json');
    assert.deepEqual(Object.keys(a), ['Wäx\n"q"']);
  });

  it('keeps __proto__, constructor and friends as plain names and pollutes nothing', () => {
    const text = '{"__proto__": [1], "constructor": [2], "prototype": [3], "toString": [4], "hasOwnProperty": [5], "polluted": [6]}';
    const a = parseJsonArrays(text, 'p.json');
    assert.deepEqual(Object.keys(a), ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'polluted']);
    assert.equal(Object.getPrototypeOf(a), null);
    assert.deepEqual([...a.__proto__.data], [1]);
    const ctor: string = 'constructor'; // (a variable: TypeScript types `.constructor` as Function)
    assert.deepEqual([...a[ctor].data], [2]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal(typeof ({}).toString, 'function');
    // a name that is not defined is simply absent (no inherited members)
    assert.equal((a as Record<string, unknown>).valueOf, undefined);
    assert.ok(!('isPrototypeOf' in a));
  });

  it('reports the first bad element with its path', () => {
    throwsInput(() => parseJsonArrays('{"x": [[1, 2], [3]]}', 'r.json'), /^r\.json: x\[1\]: expected 2 numbers, got 1$/);
    throwsInput(() => parseJsonArrays('{"x": [[[1], [2]], [[3], [4], [5]]]}', 'r.json'), /^r\.json: x\[1\]: expected 2 arrays, got 3$/);
    throwsInput(() => parseJsonArrays('{"x": [[1, 2], [3, "4"]], "y": [null]}', 'r.json'), /^r\.json: x\[1\]\[1\]: expected a number, got a string "4"$/);
    throwsInput(() => parseJsonArrays('{"x": [], "y": [1, false]}', 'r.json'), /^r\.json: y\[1\]: expected a number, got false$/);
    throwsInput(() => parseJsonArrays('{"x": [[], [1]]}', 'r.json'), /^r\.json: x\[1\]: expected 0 numbers, got 1$/);
    throwsInput(() => parseJsonArrays('{"x": "abc"}', 'r.json'), /^r\.json: x: expected a number or an array of numbers, got a string "abc"$/);
  });

  it('reports syntax errors with line and column', () => {
    throwsInput(() => parseJsonArrays('{\n  "a": [1,\n        2,,3]\n}', 's.json'), /^s\.json: line 3, column 11: expected a value, found ','$/);
    throwsInput(() => parseJsonArrays('{"a": [1, 2]', 's.json'), /^s\.json: line 1, column 13: expected ',' or '}' after an array, found end of input$/);
    throwsInput(() => parseJsonArrays('{"a": [+1]}', 's.json'), /^s\.json: line 1, column 8: expected a value, found '\+'$/);
    throwsInput(() => parseJsonArrays('{"a": [1.]}', 's.json'), /^s\.json: line 1, column 8: invalid number '1\.'$/);
    throwsInput(() => parseJsonArrays('{"a": [.5]}', 's.json'), /^s\.json: line 1, column 8: expected a value, found '\.'$/);
    throwsInput(() => parseJsonArrays('{"a": [1], }', 's.json'), /^s\.json: line 1, column 12: expected a string key, found '}'$/);
    throwsInput(() => parseJsonArrays('{"a": ["\\x41"]}', 's.json'), /^s\.json: line 1, column 9: invalid escape '\\x' in a string$/);
    throwsInput(() => parseJsonArrays('{"a": [1]}\n\n   ]', 's.json'), /^s\.json: line 3, column 4: unexpected '\]' after the top-level object$/);
  });

  it('NaN, Infinity and numbers beyond float64 are errors with a reason', () => {
    throwsInput(() => parseJsonArrays('{"a": [NaN]}', 'n.json'), /^n\.json: line 1, column 8: NaN is not a JSON number \(JSON has no NaN or Infinity; Python writes them unless json\.dump\(\.\.\., allow_nan=False\); use \.npy or \.npz for non-finite values\)$/);
    throwsInput(() => parseJsonArrays('{"a": [Infinity]}', 'n.json'), /^n\.json: line 1, column 8: Infinity is not a JSON number/);
    throwsInput(() => parseJsonArrays('{"a": [1, -Infinity]}', 'n.json'), /^n\.json: line 1, column 11: -Infinity is not a JSON number/);
    throwsInput(() => parseJsonArrays('{"a": [[1, 2], [3, 1.8e308]]}', 'n.json'), /^n\.json: a\[1\]\[1\]: 1\.8e308 is too big for float64 \(it would become Infinity\)$/);
    throwsInput(() => parseJsonArrays('{"a": [-1e999]}', 'n.json'), /^n\.json: a\[0\]: -1e999 is too big for float64/);
  });

  it('bounds nesting depth (no stack overflow) and refuses a duplicate name', () => {
    const deep = '{"a": ' + '['.repeat(100000) + ']'.repeat(100000) + '}';
    throwsInput(() => parseJsonArrays(deep, 'd.json'), /^d\.json: line 1, column 71: arrays nested deeper than 64 levels$/);
    const ok64 = '{"a": ' + '['.repeat(64) + '1' + ']'.repeat(64) + '}';
    assert.equal(parseJsonArrays(ok64, 'd.json').a.shape.length, 64);
    throwsInput(() => parseJsonArrays('{"a": 1, "b": 2, "a": 3}', 'd.json'), /^d\.json: line 1, column 18: 'a' is defined twice \(first at line 1, column 2\)$/);
  });

  it('enforces maxBytes on the decoded arrays', () => {
    throwsInput(() => parseJsonArrays('{"a": [1, 2], "b": [3, 4, 5]}', 'm.json', { maxBytes: 32 }),
      /^m\.json: 'b' takes the arrays to 40 bytes as float64, over the limit of 32 bytes \(raise it with --max-input, or maxBytes in the library\)$/);
  });

  it('never throws anything but InputError on arbitrary text, and agrees with JSON.parse when it accepts', () => {
    const checkText = (text: string): void => {
      let ours: Arrays | undefined;
      try {
        ours = parseJsonArrays(text, 'f.json');
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        assert.ok(!e.message.includes('\n'));
        return;
      }
      const theirs = JSON.parse(text) as Record<string, unknown>;
      for (const k of Object.keys(ours)) {
        const flat = [theirs[k]].flat(Infinity) as number[];
        assert.equal(hex(ours[k].data), hex(Float64Array.from(flat)));
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 60 }), checkText), { numRuns: 1000 });
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), checkText), { numRuns: 1000 });
    // object-shaped documents of numeric arrays, ragged or not
    const doc = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double(), fc.array(fc.double(), { maxLength: 4 }),
      fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 3 })), { maxKeys: 4 })
      .map((o) => JSON.stringify(o));
    fc.assert(fc.property(doc, checkText), { numRuns: 1000 });
  });
});

describe('io/json: writing', () => {
  const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });

  it('writes one row per line, readable by JSON.parse', () => {
    const text = encodeJsonArrays({ s: t([], [1.5]), m: t([2, 3], [1, 2, 3, 4, 5, 6]), c: t([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]) });
    assert.equal(text, [
      '{',
      '  "s": 1.5,',
      '  "m": [[1, 2, 3],',
      '        [4, 5, 6]],',
      '  "c": [[[1, 2],',
      '         [3, 4]],',
      '        [[5, 6],',
      '         [7, 8]]]',
      '}',
      '',
    ].join('\n'));
    assert.deepEqual(JSON.parse(text).c, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  });

  it('writes -0 as -0.0 and every finite double so that it reads back bit-exactly', () => {
    assert.equal(formatJsonNumber(-0), '-0.0');
    assert.equal(formatJsonNumber(5e-324), '5e-324');
    assert.equal(formatJsonNumber(1e21), '1e+21');
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    const arrays = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return fc.array(finite, { minLength: n, maxLength: n }).map((v) => t(shape, v));
    });
    fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), arrays, { maxKeys: 3 }), (obj) => {
      const input = Object.assign(Object.create(null) as Arrays, obj);
      const back = parseJsonArrays(encodeJsonArrays(input), 'rt.json');
      assert.deepEqual(Object.keys(back), Object.keys(input));
      for (const k of Object.keys(input)) {
        assert.deepEqual(back[k].shape, input[k].shape);
        assert.equal(hex(back[k].data), hex(input[k].data));
      }
    }), { numRuns: 300 });
  });

  it('refuses NaN/Infinity and shapes JSON cannot show, naming the array and element', () => {
    throwsInput(() => encodeJsonArrays({ w: t([2, 2], [1, 2, NaN, 4]) }),
      /^cannot write 'w' as JSON: element \[1, 0\] is nan and JSON has no NaN or Infinity \(write \.npy or \.npz instead\)$/);
    throwsInput(() => encodeJsonArrays({ w: t([1], [-Infinity]) }), /element \[0\] is -inf and/);
    throwsInput(() => encodeJsonArrays({ e: t([0, 3], []) }),
      /^cannot write 'e' as JSON: shape \(0, 3\) would read back as \(0,\) \(JSON cannot show the axes after an empty one\); write \.npy or \.npz instead$/);
    assert.equal(encodeJsonArrays({ e: t([2, 0], []) }), '{\n  "e": [[],\n        []]\n}\n');
  });
});
