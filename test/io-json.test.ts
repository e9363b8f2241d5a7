/**
 * JSON fixtures: strict parsing with located messages, rectangular arrays of any rank,
 * no prototype pollution, exact float64 round trips.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { InputError } from '../src/errors';
import { encodeJsonArrays, formatJsonNumber, parseJsonArrays } from '../src/io/json';
import { JsonCounter } from '../src/io/json-count';
import { parseJsonBytes } from '../src/io/json-parse';
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

  it('enforces maxBytes on the decoded arrays, at the number that passes it', () => {
    throwsInput(() => parseJsonArrays('{"a": [1, 2], "b": [3, 4, 5]}', 'm.json', { maxBytes: 32 }),
      /^m\.json: 'b' takes the arrays over the limit of 32 bytes as float64: more than 4 numbers \(raise it with --max-input, or maxBytes in the library\)$/);
    assert.equal(parseJsonArrays('{"a": [1, 2], "b": [3, 4]}', 'm.json', { maxBytes: 32 }).b.data[1], 4);
    // what comes after the limit is not even looked at: here a syntax error, and garbage
    throwsInput(() => parseJsonArrays('{"a": [1, 2, 3, 4, 5,, \xff', 'm.json', { maxBytes: 32 }), /'a' takes the arrays over the limit/);
    // digits in names and strings are not numbers; escaped names are shown decoded
    assert.equal(Object.keys(parseJsonArrays('{"W123": [1], "s\\"9": [2]}', 'm.json', { maxBytes: 16 })).length, 2);
    throwsInput(() => parseJsonArrays('{"W\\u00e4\\"1": [1, 2, 3]}', 'm.json', { maxBytes: 16 }), /^m\.json: 'Wä"1' takes the arrays over/);
    throwsInput(() => parseJsonArrays('[1, 2, 3]', 'm.json', { maxBytes: 16 }), /^m\.json: the arrays take over the limit of 16 bytes/);
  });

  it('counts numbers as the bytes arrive, in pieces cut anywhere, and refuses at the first number past the limit', () => {
    const text = Buffer.from('{"x": [[1.5e3, -2], [30, 4]], "n\\"1": [5, 6.25, 7e-1], "s": 8}');
    const numbersBefore = (at: number): number => (text.subarray(0, at).toString().replace(/"(\\.?|[^"\\])*("|$)/g, '').match(/[-\d][\d.eE+-]*/g) ?? []).length; // a number counts from its first character
    for (let limit = 0; limit <= 8; limit++) {
      for (let cut = 0; cut <= text.length; cut++) {
        const counter = new JsonCounter(limit * 8, 'c.json');
        let refusedIn = -1;
        for (const [part, piece] of [text.subarray(0, cut), text.subarray(cut)].entries()) {
          try { counter.feed(piece); } catch (e) { assert.ok(e instanceof InputError); refusedIn = part; break; }
        }
        if (limit >= 8) { assert.equal(refusedIn, -1); assert.equal(counter.total, 8); continue; }
        // refused in the first piece exactly when it holds more than `limit` numbers
        assert.equal(refusedIn, numbersBefore(cut) > limit ? 0 : 1, `limit ${limit}, cut at ${cut}`);
      }
    }
    const c = new JsonCounter(1 << 20, 'c.json');
    c.feed(text);
    assert.deepEqual([c.hint(0), c.hint(1), c.hint(2), c.hint(3)], [4, 3, 1, undefined]);
  });

  it('converts every spelling of a number to the bits JSON.parse gives, on both sides of the fast path', () => {
    // Clinger's fast path takes significands below 2^53 with powers of ten up to 22; the rest go
    // to JSON.parse in runs (one row; cut every 64 KiB). All must agree with JSON.parse bit for bit.
    const edges = ['9007199254740991', '9007199254740992', '9007199254740993', '900719925474099.3', '0.9007199254740993',
      '1e22', '1e23', '123e20', '1.5e-22', '1.5e-23', '4.35e-22', '8.98846567431158e307', '1.7976931348623157e308',
      '1.7976931348623158e308', '-1.7976931348623157e+308', '2.2250738585072011e-308', '2.2250738585072012e-308', '4.9e-324',
      '2.4703282292062328e-324', '0.000000000000000000000000001', '100000000000000000000000', '0.1e1', '10e-1', '-0e-0',
      '1' + '0'.repeat(400) + 'e-400', '0.' + '0'.repeat(400) + '1e400', '12345678901234567890123', '0.30000000000000004'];
    const spell = fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 21 }))
      .map(([v, how, p]) => [String(v), v.toExponential(p - 1), v.toPrecision(p), Math.abs(v) < 1e21 ? v.toFixed(Math.min(p, 20)) : String(v),
        String(v).toUpperCase(), `${Math.trunc(v * 1e6) / 1e6}`][how].replace('e+', ['e', 'e+', 'E+'][p % 3]))
      .filter((t) => Number.isFinite(Number(t))); // (rounding to fewer digits can pass 1.8e308)
    fc.assert(fc.property(fc.array(spell, { maxLength: 40 }), (list) => {
      const all = [...list, ...edges];
      const a = parseJsonArrays(`{"x": [${all.join(', ')}], "y": [[${all.join(',')}]]}`, 'n.json');
      const want = hex(Float64Array.from(all.map((t) => JSON.parse(t) as number)));
      assert.equal(hex(a.x.data), want);
      assert.equal(hex(a.y.data), want);
    }), { numRuns: 300 });
    // one row of 40 000 slow numbers (~30 runs) and fast ones between them
    const row = Array.from({ length: 40000 }, (_, k) => (k % 3 ? String(Math.sin(k) / 7) : String(k)));
    assert.equal(hex(parseJsonArrays(`{"r": [${row.join(', ')}]}`, 'r.json').r.data), hex(Float64Array.from(row.map(Number))));
  });

  it('reads UTF-8: names of any script, columns in characters; bad bytes are an error where they are', () => {
    const a = parseJsonArrays(Buffer.from('\ufeff{"Wäx": [1], "€": 2, "😀": [3], "\\ud83d\\ude00x": 4}'), 'u.json');
    assert.deepEqual(Object.keys(a), ['Wäx', '€', '😀', '😀x']);
    throwsInput(() => parseJsonArrays(Buffer.from('{"😀é": [1, 2,, 3]}'), 'u.json'), /^u\.json: line 1, column 15: expected a value, found ','$/);
    throwsInput(() => parseJsonArrays(Buffer.from('{"a": [1]}\n é'), 'u.json'), /^u\.json: line 2, column 2: unexpected 'é' after the top-level object$/);
    const bad: Array<[number[], number]> = [[[0xff], 8], [[0xc3], 8], [[0xc0, 0xaf], 8], [[0xe0, 0x80, 0xaf], 8], [[0xed, 0xa0, 0x80], 8],
      [[0xf4, 0x90, 0x80, 0x80], 8], [[0xf0, 0x9f, 0x98], 8], [[0x80], 8]];
    for (const [bytes, col] of bad) {
      const name = Buffer.concat([Buffer.from('{"ok": 1, "x'), Buffer.from(bytes), Buffer.from('": [1]}')]);
      throwsInput(() => parseJsonArrays(name, 'u.json'), /^u\.json: line 1, column 13: not valid UTF-8 text \(a \.json fixture is UTF-8 JSON\)$/);
      const outside = Buffer.concat([Buffer.from('{"a": '), Buffer.from(bytes), Buffer.from('1}')]);
      throwsInput(() => parseJsonArrays(outside, 'u.json'), new RegExp(`^u\\.json: line 1, column ${col - 1}: not valid UTF-8 text`));
    }
    // text with a lone surrogate has no UTF-8 form
    throwsInput(() => parseJsonArrays('{"a\ud800": [1]}', 'u.json'), /^u\.json: line 1, column 4: a lone surrogate \(\\ud800\) is not Unicode text$/);
  });

  it('refuses names longer than 65535 bytes, numbers longer than 1 MiB and more than 65536 arrays', () => {
    throwsInput(() => parseJsonArrays(`{"${'n'.repeat(65536)}": 1}`, 'l.json'), /^l\.json: line 1, column 2: an array name longer than 65535 bytes$/);
    assert.equal(Object.keys(parseJsonArrays(`{"${'n'.repeat(65533)}": 1}`, 'l.json'))[0].length, 65533);
    throwsInput(() => parseJsonArrays(`{"a": [1${'0'.repeat(1 << 20)}]}`, 'l.json'), /^l\.json: line 1, column 8: a number of 1048577 characters \(at most 1048576 are read\)$/);
    // at most 65536 arrays, refused as they are counted (50 MB of empty ones took 3.5 GB to inspect)
    const many = (n: number): string => `{${Array.from({ length: n }, (_, k) => `"a${k}": []`).join(',')}}`;
    throwsInput(() => parseJsonArrays(many(65537), 'h.json'), /^h\.json: holds more than 65536 arrays \(a fixture is the arrays of one net\)$/);
    const counter = new JsonCounter(1, 'h.json');
    counter.feed(Buffer.from(many(65536)));
    assert.equal(counter.members.length, 65536);
    // without size hints the parser grows its buffers
    const rows = Array.from({ length: 100 }, (_, k) => `[${k}, ${k / 3}, -0.5]`);
    const grown = parseJsonBytes(Buffer.from(`{"a": [${rows.join(', ')}], "b": 7}`), 'g.json');
    assert.deepEqual(grown.a.shape, [100, 3]);
    assert.equal(hex(grown.a.data), hex(Float64Array.from(rows.flatMap((r) => JSON.parse(r) as number[]))));
  });

  it('never makes a string of the text: every string it makes from the bytes is short', () => {
    // What lets a file over V8's string limit (~512 MiB) read (test/cli-json.test.ts reads one
    // with RNN_BIG_TESTS=1): the parser makes strings of names, messages and runs of numbers only.
    const row = Array.from({ length: 300000 }, (_, k) => String(Math.cos(k) * 3));
    const text = Buffer.from(`{"name": [${row.join(', ')}], "m": [[1, 2], [3, 4]]}`);
    let longest = 0;
    const spy = <T extends object>(obj: T, key: keyof T): (() => void) => {
      const real = obj[key] as unknown as (...args: unknown[]) => unknown;
      (obj as Record<keyof T, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
        const out = real.apply(this, args);
        if (typeof out === 'string') longest = Math.max(longest, out.length);
        return out;
      };
      return () => { (obj as Record<keyof T, unknown>)[key] = real; };
    };
    const restore = [spy(TextDecoder.prototype, 'decode'), spy(Buffer.prototype, 'toString'), spy(Buffer.prototype, 'latin1Slice'),
      spy(Buffer.prototype, 'utf8Slice'), spy(String, 'fromCharCode'), spy(JSON, 'parse')];
    let a: Arrays;
    try {
      a = parseJsonArrays(text, 's.json');
    } finally {
      for (const r of restore) r();
    }
    assert.equal(hex(a.name.data), hex(Float64Array.from(row.map(Number))));
    assert.ok(text.length > 5e6 && longest > 1000 && longest <= 66000, `longest string made: ${longest} characters of ${text.length}`);
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

  it('refuses text longer than one string can hold, naming the array, before making it', () => {
    // V8's limit (~512 MiB) is the default of maxChars; a smaller one shows the bound is exact.
    const arrays = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n }).map((v) => t(shape, v));
    }), { minKeys: 1, maxKeys: 3 }).filter((o) => Object.values(o).every((x) => x.shape.indexOf(0) < 0 || x.shape.indexOf(0) === x.shape.length - 1));
    fc.assert(fc.property(arrays, (obj) => {
      const input = Object.assign(Object.create(null) as Arrays, obj);
      const text = encodeJsonArrays(input);
      assert.equal(encodeJsonArrays(input, text.length), text);
      throwsInput(() => encodeJsonArrays(input, text.length - 1), /^cannot write the arrays as JSON: at '.*' the text passes \d+ bytes( \(.*\))?, the most one string holds; write \.npz or \.npy instead$/);
    }), { numRuns: 300 });
    throwsInput(() => encodeJsonArrays({ a: t([2], [1, 2]), big: t([3, 2], [1, 2, 3, 4, 5, 6]) }, 30), /at 'big' the text passes 30 bytes/);
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
