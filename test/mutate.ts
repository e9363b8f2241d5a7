/**
 * Mutants made of source: src/<file>.ts run from its own text or with one string replaced,
 * its imports resolved through `overrides` first (test/gradcheck-mutants.test.ts,
 * test/torch-mutants.test.ts).
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '..', 'src');

/** Runs src/<file>.ts from `source` (its own, or edited), its imports through `overrides` first. */
export function loadSource(file: string, source: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  const req = (spec: string): unknown => overrides[spec] ?? require(spec.startsWith('.') ? path.join(SRC, path.dirname(file), spec) : spec);
  new Function('exports', 'require', 'module', js)(mod.exports, req, mod);
  return mod.exports;
}

export const sourceOf = (file: string): string => fs.readFileSync(path.join(SRC, `${file}.ts`), 'utf8');

/** Loads src/<file>.ts with `find` replaced by `replace` (which must occur exactly once; '' edits nothing). */
export function editedModule(file: string, find: string, replace: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const source = sourceOf(file);
  if (find !== '') {
    const count = source.split(find).length - 1;
    assert.equal(count, 1, `mutation target '${find}' occurs ${count} times in src/${file}.ts`);
  }
  return loadSource(file, source.replace(find, replace), overrides);
}
