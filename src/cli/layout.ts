/**
 * Which layout a command reads its arrays in: `--layout` when it is given; else the one their
 * names say — a PyTorch module's state_dict names and none of the notebook's are the torch
 * layout, CS231n's Wx, Wh, b the cs231n layout, either said on stderr — else coursera, the default. The fixture read to decide is handed on
 * to the command, which then does not read it again.
 */
import type { Command } from 'commander';
import { loadFixture, type Fixture } from '../io/fixture';
import { isParamName } from '../layouts/torch/names';
import { CELLS } from '../model/cells';
import type { IO } from './main';
import { bytesOf, type LayoutName } from './options';
import { say } from './report';

/** The names rnn_forward's weights have in CS231n's assignment (src/layouts/cs231n/). */
const CS231N_PARAMS = ['Wx', 'Wh', 'b'];

/** Every parameter name of the notebook's cells (Wax, Wf, by, …): arrays of the coursera layout. */
const COURSERA_PARAMS = new Set(Object.values(CELLS).flatMap((c) => c.params.map((p) => p.name)));

export function pickLayout(cmd: Command, o: { layout: LayoutName; maxInput: number }, sources: readonly string[], io: IO): { layout: LayoutName; fixture?: Fixture } {
  if (cmd.getOptionValueSource('layout') === 'cli' || sources.length === 0) return { layout: o.layout };
  const fixture = loadFixture(sources, { maxBytes: bytesOf(o.maxInput) });
  const names = Object.keys(fixture.arrays);
  const torch = names.filter(isParamName);
  if (names.some((n) => COURSERA_PARAMS.has(n))) return { layout: 'coursera', fixture };
  if (torch.length === 0) {
    if (!CS231N_PARAMS.every((n) => names.includes(n))) return { layout: 'coursera', fixture };
    say(io, `reading the arrays as --layout cs231n: they carry CS231n's rnn_layers.py names (${CS231N_PARAMS.join(', ')}); --layout chooses`);
    return { layout: 'cs231n', fixture };
  }
  say(io, `reading the arrays as --layout torch: they carry a PyTorch module's state_dict names (${torch[0]}${torch.length > 1 ? ', …' : ''}); --layout chooses`);
  return { layout: 'torch', fixture };
}
