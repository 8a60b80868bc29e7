// The CPU-bound "training step" of the Python benches, as Python source to paste into their
// scripts: python-training-loop.mjs times a loop of it with and without the hook, and
// neighbour-interference.mjs with and without a neighbour process, so both measure the same work.
// A linear congruential step per iteration: interpreter-bound, no memory traffic to speak of.
export const PYTHON_WORK = String.raw`
def work(n):
    x = 0
    for i in range(n):
        x = (x * 1664525 + 1013904223 + i) % 4294967296
    return x
`;
