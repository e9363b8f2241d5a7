"""PyTorch's own float64 CPU implementation for `npm run bench -- --only deep` (bench/deep.ts):

    python3 bench/torch_side.py MODULE H_in H LAYERS BIDIR N T REPS

builds torch.nn.MODULE(H_in, H, num_layers=LAYERS, bidirectional=BIDIR) in float64, eval mode,
and times one forward + torch.autograd.backward of output and h_n (c_n) with given upstream
gradients, the loss `rnn backward --layout torch` takes. Prints the median seconds per pass.
Exits 3 when torch cannot be imported (the bench leaves the column empty).
"""
import sys
import time

try:
    import torch
except ImportError:
    sys.exit(3)


def main():
    module, H_in, H, L, bidir, N, T, reps = sys.argv[1], *map(int, sys.argv[2:9])
    torch.manual_seed(1)
    m = getattr(torch.nn, module)(H_in, H, num_layers=L, bidirectional=bool(bidir)).double().eval()
    x = torch.randn(T, N, H_in, dtype=torch.float64, requires_grad=True)

    def once():
        out = m(x)
        output, states = out[0], out[1]
        results = [output] + (list(states) if isinstance(states, tuple) else [states])
        torch.autograd.backward(results, [torch.ones_like(r) for r in results])

    for _ in range(3):
        once()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    times.sort()
    print(times[len(times) // 2])


if __name__ == "__main__":
    main()
