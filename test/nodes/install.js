#!/usr/bin/env node
// `npm test`'s pretest: installs test/nodes (Node 22 and 24, pinned in its package-lock.json)
// unless the pinned versions are in place. A project of its own: as a dependency of the
// repository, their `node` bin would shadow the repository's node in every npm script.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const lock = require('./package-lock.json');
const pinned = Object.entries(lock.packages).filter(([key]) => key.startsWith('node_modules/'));
const platformOk = ([, p]) => (!p.os || p.os === process.platform) && (!p.cpu || p.cpu === process.arch);
const installed = ([key, p]) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, key, 'package.json'), 'utf8')).version === p.version;
  } catch {
    return false;
  }
};
const missing = pinned.filter(platformOk).filter((e) => !installed(e));
if (missing.length) {
  process.stderr.write(`test/nodes: installing ${missing.map(([k, p]) => `${k.slice('node_modules/'.length)} (${p.name}@${p.version})`).join(', ')}\n`);
  const r = spawnSync('npm', ['ci', '--prefix', __dirname, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
