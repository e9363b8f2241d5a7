/**
 * Element-wise formulas: a cell's loops over whole blocks (a⟨t⟩ = u ⊙ c̃ + (1 − u) ⊙ a_prev and
 * the like) written once, as formulas, and compiled twice with the same IEEE operations in
 * the same order — the same bits: to a JavaScript loop (`formulaJs`, run everywhere) and to a
 * WebAssembly SIMD loop, two values per f64x2 (`formulaWat`, assembled into the kernel by
 * tools/wasm/generate.ts and run on arena blocks, src/exec/elementwise.ts `elementwise`). JavaScript's
 * loops over typed arrays are dispatch-bound (bounds checks on every access); the SIMD loop
 * is several times faster (bench/README.md).
 *
 * A formula is a signature and statements, one per line:
 *
 *     'da u cc aPrev -> dzc dzu daPrev'
 *     dzc = da * u * (1 - cc * cc)
 *     dzu = da * (cc - aPrev) * u * (1 - u)
 *     daPrev = da * (1 - u)
 *
 * Operands are blocks of values, element k of each read or written together: the inputs before
 * `->`, the outputs after it. A statement's name is an output (stored) or a temporary; a name in
 * an expression means the latest statement of that name above, else the input. An output may
 * be an input too (`daPrev = daPrev + dra * r`): one operand, read before anything is stored.
 * Expressions: numbers, names, + − * /, unary minus and parentheses, left to right as in
 * JavaScript (a * b * c is (a * b) * c), and two functions: max(x, y) (JavaScript's Math.max,
 * WebAssembly's f64.max: the same value, ±0 included) and step(x), 1 where x > 0 and 0
 * elsewhere, NaN included (a ReLU and its derivative). Operands must not overlap, other than
 * being the same.
 */

export type Expr =
  | { kind: 'num'; v: number }
  | { kind: 'ref'; name: string }
  | { kind: 'neg'; a: Expr }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; a: Expr; b: Expr }
  | { kind: 'call'; fn: Fn; args: Expr[] };

/** The functions a formula may call, with how many arguments each takes. */
const FNS = { max: 2, step: 1 } as const;
export type Fn = keyof typeof FNS;

export interface Formula {
  readonly name: string;
  /** Operand names in call order: the inputs, then the outputs that are not inputs. */
  readonly operands: readonly string[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** In order; `store`: the operand an output statement writes (index into operands), else −1. */
  readonly statements: readonly { name: string; expr: Expr; store: number }[];
  /** The signature and body as written (the kernel's comment; what identifies it is `formulaKey`). */
  readonly source: string;
}

/** Parses a formula (see the header); throws naming the formula and the problem. */
/** A signature's names: 'f cPrev i cc -> c tc'; operands in call order, the inputs then the outputs that are not inputs. */
export function signatureNames(signature: string): { inputs: string[]; outputs: string[]; operands: string[] } {
  const [ins = '', outs = ''] = signature.split('->');
  const words = (s: string): string[] => s.trim().split(/\s+/).filter((w) => w !== '');
  const inputs = words(ins), outputs = words(outs);
  return { inputs, outputs, operands: [...inputs, ...outputs.filter((o) => !inputs.includes(o))] };
}

export function parseFormula(name: string, signature: string, body: string): Formula {
  const fail = (why: string): never => {
    throw new Error(`formula ${name}: ${why}`);
  };
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) fail('names are letters, digits and _');
  if (signature.split('->').length !== 2) fail(`signature '${signature}' is not 'inputs -> outputs'`);
  const { inputs, outputs, operands } = signatureNames(signature);
  for (const w of [...inputs, ...outputs]) if (!/^[a-z_][a-z0-9_]*$/i.test(w)) fail(`'${w}' is not a name`);
  if (new Set(inputs).size !== inputs.length || new Set(outputs).size !== outputs.length) fail('a name is listed twice');
  if (outputs.length === 0) fail('no outputs');
  const statements: { name: string; expr: Expr; store: number }[] = [];
  const defined = new Set<string>(inputs), used = new Set<string>();
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^([a-z_][a-z0-9_]*)\s*=(.*)$/i.exec(line);
    if (!m) fail(`'${line}' is not 'name = expression'`);
    const expr = parseExpr(m![2], (why) => fail(`'${line}': ${why}`));
    for (const ref of refs(expr)) {
      if (!defined.has(ref)) fail(`'${line}': ${ref} is neither an input nor defined above`);
      used.add(ref);
    }
    const store = outputs.includes(m![1]) ? operands.indexOf(m![1]) : -1;
    if (store >= 0 && statements.some((s) => s.store === store)) fail(`output ${m![1]} is assigned twice`);
    statements.push({ name: m![1], expr, store });
    defined.add(m![1]);
  }
  for (const o of outputs) if (!statements.some((s) => s.name === o)) fail(`output ${o} is never assigned`);
  for (const i of inputs) if (!used.has(i)) fail(`input ${i} is never used`);
  return { name, operands, inputs, outputs, statements, source: `${signature}\n${body}` };
}

function refs(e: Expr): string[] {
  switch (e.kind) {
    case 'num': return [];
    case 'ref': return [e.name];
    case 'neg': return refs(e.a);
    case 'bin': return [...refs(e.a), ...refs(e.b)];
    case 'call': return e.args.flatMap(refs);
  }
}

/** A recursive-descent parser: expr = term (('+'|'-') term)*, term = unary (('*'|'/') unary)*. */
function parseExpr(text: string, fail: (why: string) => never): Expr {
  const tokens = text.match(/\d+(\.\d+)?(e[+-]?\d+)?|[a-z_][a-z0-9_]*|[-+*/(),]|\S/gi) ?? [];
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const expr = (): Expr => {
    let e = term();
    while (peek() === '+' || peek() === '-') e = { kind: 'bin', op: tokens[at++] as '+' | '-', a: e, b: term() };
    return e;
  };
  const term = (): Expr => {
    let e = unary();
    while (peek() === '*' || peek() === '/') e = { kind: 'bin', op: tokens[at++] as '*' | '/', a: e, b: unary() };
    return e;
  };
  const unary = (): Expr => (peek() === '-' ? (at++, { kind: 'neg', a: unary() }) : primary());
  const primary = (): Expr => {
    const t = tokens[at++];
    if (t === undefined) return fail('expression ends too early');
    if (t === '(') {
      const e = expr();
      if (tokens[at++] !== ')') fail("missing ')'");
      return e;
    }
    if (/^\d/.test(t)) return { kind: 'num', v: Number(t) };
    if (/^[a-z_]/i.test(t) && peek() === '(') {
      if (!Object.prototype.hasOwnProperty.call(FNS, t)) return fail(`no function '${t}' (${Object.keys(FNS).join(', ')})`);
      at++;
      const args = [expr()];
      while (peek() === ',') {
        at++;
        args.push(expr());
      }
      if (tokens[at++] !== ')') fail("missing ')'");
      if (args.length !== FNS[t as Fn]) fail(`${t} takes ${FNS[t as Fn]} argument${FNS[t as Fn] > 1 ? 's' : ''}`);
      return { kind: 'call', fn: t as Fn, args };
    }
    if (/^[a-z_]/i.test(t)) return { kind: 'ref', name: t };
    return fail(`unexpected '${t}'`);
  };
  const e = expr();
  if (at < tokens.length) fail(`unexpected '${tokens[at]}'`);
  return e;
}

/**
 * Each statement's expression with its names resolved: `v<s>` for statement s's value, `i<j>`
 * for input j's — what both compilers emit, so that they read the same values.
 */
function resolved(f: Formula): Expr[] {
  const latest = new Map<string, string>(f.inputs.map((n, j) => [n, `i${j}`]));
  return f.statements.map((s, k) => {
    const go = (e: Expr): Expr =>
      e.kind === 'ref' ? { kind: 'ref', name: latest.get(e.name)! }
        : e.kind === 'neg' ? { kind: 'neg', a: go(e.a) }
          : e.kind === 'bin' ? { ...e, a: go(e.a), b: go(e.b) }
            : e.kind === 'call' ? { ...e, args: e.args.map(go) } : e;
    const out = go(s.expr);
    latest.set(s.name, `v${k}`);
    return out;
  });
}

/** A number as JavaScript and the WebAssembly text read it back exactly. */
function literal(v: number): string {
  if (!Number.isFinite(v) || String(Number(String(v))) !== String(v)) throw new Error(`formula: constant ${v} has no exact literal`);
  return String(v);
}

/** An expression as JavaScript, every operation parenthesised (formulaJs's loop body, formulaKey's text). */
function exprJs(e: Expr): string {
  switch (e.kind) {
    case 'num': return literal(e.v);
    case 'ref': return e.name;
    case 'neg': return `(-${exprJs(e.a)})`;
    case 'bin': return `(${exprJs(e.a)} ${e.op} ${exprJs(e.b)})`;
    case 'call': return `${e.fn}(${e.args.map(exprJs).join(', ')})`;
  }
}

/** exprJs as formulaJs's loop runs it: the functions as JavaScript writes them. */
function exprRun(e: Expr): string {
  switch (e.kind) {
    case 'num': case 'ref': return exprJs(e);
    case 'neg': return `(-${exprRun(e.a)})`;
    case 'bin': return `(${exprRun(e.a)} ${e.op} ${exprRun(e.b)})`;
    case 'call': return e.fn === 'max' ? `Math.max(${exprRun(e.args[0])}, ${exprRun(e.args[1])})` : `(${exprRun(e.args[0])} > 0 ? 1 : 0)`;
  }
}

/**
 * The formula as a JavaScript function (n, X0, o0, X1, o1, …): for k < n, operand j's element
 * k is Xj[oj + k] (operands in `f.operands` order).
 */
export function formulaJs(f: Formula): (n: number, ...operands: (Float64Array | number)[]) => void {
  const params = f.operands.map((_, j) => `X${j}, o${j}`).join(', ');
  const loads = f.inputs.map((_, j) => `const i${j} = X${j}[o${j} + k];`);
  const exprs = resolved(f);
  const lets = f.statements.map((_, s) => `const v${s} = ${exprRun(exprs[s])};`);
  const stores = f.statements.flatMap((s, k) => (s.store >= 0 ? [`X${s.store}[o${s.store} + k] = v${k};`] : []));
  const src = `return function ${f.name}(n, ${params}) {\n  for (let k = 0; k < n; k++) {\n    ${[...loads, ...lets, ...stores].join('\n    ')}\n  }\n};`;
  return new Function(src)() as (n: number, ...operands: (Float64Array | number)[]) => void;
}

/**
 * What identifies a formula: its parsed tree in one canonical text — operands, then each
 * statement with its expression fully parenthesised — so that layout (spaces, line breaks,
 * parentheses that change nothing) does not, and any change to an operation does.
 */
export function formulaKey(f: Formula): string {
  return `${f.inputs.join(' ')} -> ${f.outputs.join(' ')}; ${statementsJs(f).join('; ')}`;
}
const statementsJs = (f: Formula): string[] => f.statements.map((st) => `${st.name} = ${exprJs(st.expr)}`);

/**
 * A formula given as a tree (parseFormula's, altered: the mutation test) checked as a text is:
 * its canonical text read back by parseFormula, which must give the same tree.
 */
export function formulaOfTree(f: Formula): Formula {
  const g = parseFormula(f.name, `${f.inputs.join(' ')} -> ${f.outputs.join(' ')}`, statementsJs(f).join('\n'));
  if (formulaKey(g) !== formulaKey(f)) throw new Error(`formula ${f.name}: the tree does not read back as itself (${formulaKey(f)})`);
  return g;
}

/**
 * The name of the formula's function in the kernel's exports: its name and a hash of its
 * tree (`formulaKey`), so that a kernel assembled from another formula under that name (not
 * rebuilt after an edit, or the mutation test's altered trees) has no such export, and the
 * formula runs in JavaScript.
 */
export function formulaExport(f: Formula): string {
  const text = formulaKey(f);
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `ew_${f.name}_${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The formula as a WebAssembly function (p0, p1, …, n), exported as `formulaExport(f)`: operand j's element k at
 * byte pj + 8k. Pairs of elements as f64x2, then an odd last one as f64 — the same operations
 * as formulaJs's, lane by lane.
 */
export function formulaWat(f: Formula): string {
  const exprs = resolved(f);
  const body = (V: boolean): string => {
    const T = V ? 'v128' : 'f64', op = V ? 'f64x2' : 'f64';
    const wat = (e: Expr): string => {
      switch (e.kind) {
        case 'num': return V ? `(v128.const f64x2 ${literal(e.v)} ${literal(e.v)})` : `(f64.const ${literal(e.v)})`;
        case 'ref': return `(local.get $${V ? '' : 's'}${e.name})`;
        case 'neg': return `(${op}.neg ${wat(e.a)})`;
        case 'bin': return `(${op}.${{ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[e.op]} ${wat(e.a)} ${wat(e.b)})`;
        case 'call':
          if (e.fn === 'max') return `(${op}.max ${wat(e.args[0])} ${wat(e.args[1])})`;
          // step: the comparison's all-ones lanes select 1.0's bits (f64x2); 0 or 1 as a double (f64)
          return V ? `(v128.and (f64x2.gt ${wat(e.args[0])} (v128.const f64x2 0 0)) (v128.const f64x2 1 1))`
            : `(f64.convert_i32_u (f64.gt ${wat(e.args[0])} (f64.const 0)))`;
      }
    };
    const p = V ? '' : 's';
    const at = (j: number): string => `(i32.add (local.get $p${j}) (local.get $q))`;
    return [
      ...f.inputs.map((_, j) => `(local.set $${p}i${j} (${T}.load ${at(j)}))`),
      ...exprs.map((e, s) => `(local.set $${p}v${s} ${wat(e)})`),
      ...f.statements.flatMap((s, k) => (s.store >= 0 ? [`(${T}.store ${at(s.store)} (local.get $${p}v${k}))`] : [])),
    ].join('\n      ');
  };
  const names = [...f.inputs.map((_, j) => `i${j}`), ...f.statements.map((_, s) => `v${s}`)];
  return `;; ${f.name}: ${f.source.replace(/\n\s*/g, '; ').replace(/; $/, '')}
  (func (export "${formulaExport(f)}") ${f.operands.map((_, j) => `(param $p${j} i32)`).join(' ')} (param $n i32)
    (local $q i32) (local $e i32) ${names.map((n) => `(local $${n} v128) (local $s${n} f64)`).join(' ')}
    (local.set $e (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done (loop $pairs (br_if $done (i32.ge_u (local.get $q) (local.get $e)))
      ${body(true)}
      (local.set $q (i32.add (local.get $q) (i32.const 16))) (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      ${body(false)})))`;
}

/**
 * The formulas the kernel assembles (tools/wasm/generate.ts): the first made under each name
 * (src/exec/elementwise.ts `elementwise`). Another text under a taken name is not registered, nor
 * is a tree (src/exec/ops.ts `formulaFromTree`: the mutation test's); lacking an export, it runs in JavaScript.
 */
const registry = new Map<string, () => Formula>();
/** Registers the formula made by `make` (called when the formulas are listed) under `name`, unless the name is taken. */
export function register(name: string, make: () => Formula): void {
  if (!registry.has(name)) registry.set(name, make);
}
export const registeredFormulas = (): Formula[] => [...registry.values()].map((make) => make()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
