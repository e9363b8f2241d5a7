/**
 * safetensors (src/io/safetensors.ts) against files safetensors and PyTorch wrote
 * (fixtures/safetensors, generate_safetensors.py): every numeric dtype read as the float64
 * ml_dtypes / numpy give, rnn's writer byte for byte what safetensors.numpy.save writes, an
 * nn.LSTM's state_dict saved by safetensors.torch; torch.save's files refused unopened; and
 * the header as untrusted input (every truncation, every flipped bit, random files). The
 * hand-made broken headers are in the malformed corpus (test/io-malformed.test.ts, and through
 * the CLI in test/cli-input-limits.test.ts).
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../src/errors';
import { loadFixture } from '../src/io/fixture';
import { bytesSource } from '../src/io/source';
import { encodeSafetensors, readSafetensors } from '../src/io/safetensors';
import { writeArrays } from '../src/io/write';
import { torchForward, torchProblem } from '../src/layouts/torch';
import type { Arrays, Tensor } from '../src/tensor';

const DIR = path.join(__dirname, '..', 'fixtures', 'safetensors');
const file = (name: string): string => path.join(DIR, name);
const bits = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

/** The same names, shapes and values; NaN equals NaN (payloads differ between decoders), −0 is not 0. */
function sameArrays(got: Arrays, want: Arrays): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const name of Object.keys(want)) {
    assert.deepEqual(got[name].shape, want[name].shape, `${name}: shape`);
    want[name].data.forEach((v, k) => assert.ok(Object.is(got[name].data[k], v), `${name}[${k}]: ${got[name].data[k]}, want ${v}`));
  }
}

const parse = (b: Uint8Array): Arrays => Object.fromEntries(readSafetensors(bytesSource(b), 'x.safetensors').map((a) => [a.name, a.tensor]));

describe('io/safetensors', () => {
  it('reads every numeric dtype safetensors defines as the float64 of its value (ml_dtypes, numpy)', () => {
    const fx = loadFixture([file('dtypes.safetensors')]);
    sameArrays(fx.arrays, loadFixture([file('dtypes_expected.npz')]).arrays);
    assert.deepEqual(
      [...new Set(Object.values(fx.origin).map((o) => o.dtype))].sort(),
      ['BF16', 'BOOL', 'F16', 'F32', 'F64', 'F8_E4M3', 'F8_E4M3FNUZ', 'F8_E5M2', 'F8_E5M2FNUZ', 'F8_E8M0', 'I16', 'I32', 'I64', 'I8', 'U16', 'U32', 'U64', 'U8'],
    );
  });

  it("writes float64 arrays byte for byte as safetensors.numpy.save does, and reads them back to the bit", () => {
    const arrays = loadFixture([file('written.npz')]).arrays;
    const want = new Uint8Array(fs.readFileSync(file('written.safetensors')));
    assert.ok(Buffer.from(encodeSafetensors(arrays)).equals(want), 'encodeSafetensors differs from safetensors.numpy.save');
    const back = parse(want);
    for (const name of Object.keys(arrays)) assert.equal(bits(back[name]), bits(arrays[name]), name);
    // and through the atomic writer the CLI's --out uses
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-st-'));
    try {
      writeArrays(path.join(dir, 'out.safetensors'), arrays);
      assert.ok(fs.readFileSync(path.join(dir, 'out.safetensors')).equals(want));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads an nn.LSTM's state_dict as safetensors.torch.save_file wrote it, float32 and float64, and runs the module", () => {
    const want = loadFixture([file('lstm_state.npz')]).arrays;
    for (const name of ['lstm_f32.safetensors', 'lstm_f64.safetensors']) {
      const fx = loadFixture([file(name)]);
      sameArrays(fx.arrays, want);
      const input: Tensor = { shape: [5, 2, 3], data: Float64Array.from({ length: 30 }, (_, k) => Math.sin(k)) };
      const out = torchForward(torchProblem({ ...fx.arrays, input }));
      assert.deepEqual(out.output.shape, [5, 2, 8]);
    }
  });

  it("refuses torch.save's files unopened, whatever they are named: .pt, a zip named .npz, a legacy pickle named .npy", () => {
    const refusal = (src: string): string => {
      try {
        loadFixture([src]);
      } catch (e) {
        assert.ok(e instanceof InputError, String(e));
        assert.ok(!e.message.includes('\n'));
        return e.message;
      }
      return assert.fail(`${src} was read`);
    };
    const recipe = /a pickle, which can run any code when loaded, so rnn never opens one; export the tensors instead, with safetensors\.torch\.save_file\(model\.state_dict\(\), 'w\.safetensors'\) or np\.savez/;
    assert.match(refusal(file('lstm.pt')), recipe);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-pickle-'));
    try {
      fs.copyFileSync(file('lstm.pt'), path.join(dir, 'state.npz'));
      fs.copyFileSync(file('lstm_legacy.pt'), path.join(dir, 'state.npy'));
      const zip = refusal(path.join(dir, 'state.npz')), legacy = refusal(path.join(dir, 'state.npy'));
      assert.match(zip, /: a PyTorch checkpoint \(torch\.save's zip, member 'lstm\/data\.pkl'\): /);
      assert.match(legacy, /: not an NPY file but a pickle /);
      for (const m of [zip, legacy]) assert.match(m, recipe);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the header is untrusted', () => {
    const good = new Uint8Array(fs.readFileSync(file('lstm_f32.safetensors')));
    const oneLine = (b: Uint8Array, what: string): { ok: boolean; message?: string } => {
      try {
        parse(b);
        return { ok: true };
      } catch (e) {
        if (!(e instanceof InputError)) throw new Error(`${what}: threw ${e instanceof Error ? e.stack : String(e)}`);
        assert.ok(!e.message.includes('\n') && e.message.startsWith('x.safetensors: safetensors: '), `${what}: ${e.message}`);
        return { ok: false, message: e.message };
      }
    };

    it('every proper prefix of a real file is refused', () => {
      for (let n = 0; n < good.length; n++) assert.equal(oneLine(good.subarray(0, n), `prefix ${n}`).ok, false, `prefix of ${n} bytes read`);
    });

    it('every single-bit flip in the header and its length is refused or reads tensors that fill the data exactly', () => {
      const headerEnd = 8 + Number(Buffer.from(good).readBigUInt64LE(0));
      let refused = 0;
      for (let byte = 0; byte < headerEnd; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = good.slice();
          bad[byte] ^= 1 << bit;
          const r = oneLine(bad, `byte ${byte} bit ${bit}`);
          if (!r.ok) refused++;
        }
      }
      // (what is read was checked to cover the data exactly: readSafetensors refuses anything else)
      assert.ok(refused > headerEnd * 4, `only ${refused} of ${headerEnd * 8} flips refused`);
    });

    it('random bytes and random headers: a result or one line, never anything else (fast-check)', () => {
      const header = fc.dictionary(fc.string({ maxLength: 6 }), fc.record({
        dtype: fc.constantFrom('F64', 'F32', 'BF16', 'U8', 'C64', 'F4', 'X'),
        shape: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }),
        data_offsets: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })),
      }), { maxKeys: 4 });
      fc.assert(fc.property(header, fc.uint8Array({ maxLength: 48 }), fc.boolean(), (h, data, pad) => {
        let text = JSON.stringify(h);
        if (pad) text += ' '.repeat(-text.length & 7);
        const head = Buffer.from(text);
        const b = Buffer.concat([Buffer.alloc(8), head, Buffer.from(data)]);
        b.writeBigUInt64LE(BigInt(head.length), 0);
        oneLine(new Uint8Array(b), text);
      }), { numRuns: 400, seed: 19 });
      fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void oneLine(b, 'random bytes')), { numRuns: 300, seed: 20 });
    });

    it('what rnn writes reads back to the bit, for any names and shapes (fast-check)', () => {
      const tensor = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }).chain((shape) =>
        fc.float64Array({ minLength: shape.reduce((p, d) => p * d, 1), maxLength: shape.reduce((p, d) => p * d, 1) }).map((data): Tensor => ({ shape, data })));
      fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), tensor, { maxKeys: 5 }), (arrays) => {
        const back = parse(encodeSafetensors(arrays));
        assert.deepEqual(Object.keys(back).sort(), Object.keys(arrays).sort());
        for (const name of Object.keys(arrays)) {
          assert.deepEqual(back[name].shape, arrays[name].shape);
          assert.equal(bits(back[name]), bits(arrays[name]));
        }
      }), { numRuns: 200, seed: 21 });
    });
  });
});
