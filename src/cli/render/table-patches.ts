/**
 * Speed patches to cli-table3 0.6.5 (pinned), applied as esbuild bundles it. Each swaps a
 * helper for one that returns the same value for every argument, without the allocations and
 * calls that make a cold table slow at start-up: per cell, cli-table3 merges 18
 * options, each through a string split/join and an array filter, and its layout check builds
 * an object per cell pair (bench/README.md, section 1). test/table-patches.test.ts renders the
 * same tables with the real module and the patched one and compares the strings.
 */
import fs = require('fs');
import path = require('path');

export interface TablePatch {
  /** Path of the file inside the package, with forward slashes. */
  file: string;
  /** The exact text replaced: a build fails when it is not found once. */
  from: string;
  to: string;
}

export const TABLE_PATCHES: readonly TablePatch[] = [
  {
    // The first of its arguments that is neither undefined nor null (callers pass 2 or 4).
    file: 'src/cell.js',
    from: 'function firstDefined(...args) {\n  return args.filter((v) => v !== undefined && v !== null).shift();\n}',
    to: 'function firstDefined(a, b, c, d) {\n  return a != null ? a : b != null ? b : c != null ? c : d != null ? d : undefined;\n}',
  },
  {
    // 'padding-left' → 'paddingLeft', computed once per name instead of once per cell.
    file: 'src/cell.js',
    from: "function setOption(objA, objB, nameB, targetObj) {\n  let nameA = nameB.split('-');\n  if (nameA.length > 1) {\n    nameA[1] = nameA[1].charAt(0).toUpperCase() + nameA[1].substr(1);\n    nameA = nameA.join('');\n",
    to: "const camelNames = new Map();\nfunction camelName(nameB) {\n  let nameA = camelNames.get(nameB);\n  if (nameA === undefined) {\n    nameA = nameB.split('-');\n    if (nameA.length > 1) {\n      nameA[1] = nameA[1].charAt(0).toUpperCase() + nameA[1].substr(1);\n      nameA = nameA.join('');\n    } else nameA = null;\n    camelNames.set(nameB, nameA);\n  }\n  return nameA;\n}\nfunction setOption(objA, objB, nameB, targetObj) {\n  let nameA = camelName(nameB);\n  if (nameA !== null) {\n",
  },
  {
    // The gaps of the layout, found on a grid of covered positions instead of by comparing every
    // position with every cell (O(cells²): V8 optimises the comparison on a background thread,
    // and Node waits for that job before it exits). A position is covered as conflictExists
    // defines it: by a cell whose x..x+colSpan−1, y..y+rowSpan−1 holds it.
    file: 'src/layout-manager.js',
    from: `  function fillInTable(table) {
    let h_max = maxHeight(table);
    let w_max = maxWidth(table);
    debug(\`Max rows: \${h_max}; Max cols: \${w_max}\`);
    for (let y = 0; y < h_max; y++) {
      for (let x = 0; x < w_max; x++) {
        if (!conflictExists(table, x, y)) {`,
    to: `  function fillInTable(table) {
    let h_max = maxHeight(table);
    let w_max = maxWidth(table);
    debug(\`Max rows: \${h_max}; Max cols: \${w_max}\`);
    const covered = [];
    for (let y = 0; y < h_max; y++) covered.push(new Array(w_max).fill(false));
    const cover = (c) => {
      for (let y = Math.max(c.y, 0); y < Math.min(c.y + (c.rowSpan || 1), h_max); y++) {
        for (let x = Math.max(c.x, 0); x < Math.min(c.x + (c.colSpan || 1), w_max); x++) covered[y][x] = true;
      }
    };
    table.forEach((row) => row.forEach(cover));
    const conflictExists = (_rows, x, y) => covered[y][x];
    const allBlank = (_rows, y, xMin, xMax) => {
      for (let x = xMin; x < xMax; x++) if (covered[y][x]) return false;
      return true;
    };
    for (let y = 0; y < h_max; y++) {
      for (let x = 0; x < w_max; x++) {
        if (!conflictExists(table, x, y)) {`,
  },
  {
    // ... and a cell made for a gap covers its positions from then on.
    file: 'src/layout-manager.js',
    from: `          warn(\`Missing cell at \${cell.y}-\${cell.x}.\`);
          insertCell(cell, table[y]);`,
    to: `          warn(\`Missing cell at \${cell.y}-\${cell.x}.\`);
          insertCell(cell, table[y]);
          cover(cell);`,
  },
];

/** The text of `file` (a path inside cli-table3) with its patches applied. */
export function patchTableSource(file: string, text: string): string {
  for (const p of TABLE_PATCHES.filter((q) => q.file === file)) {
    const at = text.indexOf(p.from);
    if (at < 0 || text.indexOf(p.from, at + 1) >= 0) {
      throw new Error(`cli-table3 ${file}: the text to patch is not there exactly once (a cli-table3 other than 0.6.5?)`);
    }
    text = text.slice(0, at) + p.to + text.slice(at + p.from.length);
  }
  return text;
}

/**
 * A copy of cli-table3 with TABLE_PATCHES applied, for esbuild to bundle in its place (an
 * alias: esbuild's synchronous API takes no plugins). It lives in node_modules/.cache, where
 * its own imports (@colors/colors, string-width) resolve as the original's do. Returns the
 * copy's directory (`cache` names the copy: the tests make their own).
 */
export function patchedTable(root: string, cache = 'rnn-build'): string {
  const from = path.join(root, 'node_modules', 'cli-table3');
  const to = path.join(root, 'node_modules', '.cache', cache, 'node_modules', 'cli-table3');
  for (const file of ['package.json', 'index.js', ...fs.readdirSync(path.join(from, 'src')).map((f) => `src/${f}`)]) {
    const text = fs.readFileSync(path.join(from, file), 'utf8');
    const want = file.endsWith('.js') ? patchTableSource(file, text) : text;
    const dest = path.join(to, file);
    // Written only when it differs, and by rename: a build running at the same time reads whole files.
    if (fs.existsSync(dest) && fs.readFileSync(dest, 'utf8') === want) continue;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.${process.pid}.tmp`, want);
    fs.renameSync(`${dest}.${process.pid}.tmp`, dest);
  }
  return to;
}
