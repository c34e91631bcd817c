"""torch_step.py -- the PyTorch side of `make bench` (bench/README.md).

Times the same SGD step as bench_step: an MLP 32 -> width (x depth, ReLU) -> 10
with biases, softmax cross-entropy, plain SGD, float32, one thread, and a
minibatch drawn with replacement from a preloaded 4096-example set each step:

    idx = randint(n, (B,)); xb, yb = x[idx], y[idx]
    opt.zero_grad(set_to_none=True); loss_fn(model(xb), yb).backward(); opt.step()

    /usr/bin/python3 bench/torch_step.py --width W --depth D --batch B [--seconds S]
        one timing; prints: torch <TAB> W <TAB> D <TAB> B <TAB> N <TAB> us/step
        <TAB> CPU share (thread CPU time / wall time; below 1: descheduled)
    /usr/bin/python3 bench/torch_step.py --serve [--seconds S]
        prints "ready <TAB> torch version", then answers each stdin line
        "W D B" with one such line (bench/run.sh runs it beside bench_step, so
        that torch is imported once and the two sides alternate per repeat).
"""
import argparse
import math
import sys
import time

import torch
from torch import nn

D_IN, CLASSES, N_TRAIN, LR = 32, 10, 4096, 0.01


class Bench:
    """One network, its optimiser and its training set, kept between timings."""

    def __init__(self, width, depth, batch, seed=0):
        torch.manual_seed(seed)
        layers, a = [], D_IN
        for _ in range(depth):
            layers += [nn.Linear(a, width), nn.ReLU()]
            a = width
        layers.append(nn.Linear(a, CLASSES))
        self.model = nn.Sequential(*layers)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss_fn = nn.CrossEntropyLoss()
        self.x = torch.randn(N_TRAIN, D_IN)                # [n x d] float32
        self.y = torch.randint(0, CLASSES, (N_TRAIN,))     # [n] labels
        self.key = (width, depth, batch)
        self.batch = batch

    def steps(self, n):
        model, opt, loss_fn, x, y, b = self.model, self.opt, self.loss_fn, self.x, self.y, self.batch
        loss = None
        for _ in range(n):
            idx = torch.randint(0, N_TRAIN, (b,))
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return loss

    def time(self, seconds):
        """Warm up for a fifth of `seconds` (at least 3 steps), then time N
        steps, N chosen to take about `seconds`. Returns (N, us per step,
        CPU share of the timing)."""
        warm, t0 = 0, time.perf_counter()
        while True:
            self.steps(1)
            warm += 1
            dt = time.perf_counter() - t0
            if dt >= 0.2 * seconds and warm >= 3:
                break
        n = max(5, math.ceil(seconds / (dt / warm)))
        c0, t0 = time.thread_time(), time.perf_counter()
        loss = self.steps(n)
        dt = time.perf_counter() - t0
        share = (time.thread_time() - c0) / dt
        if not math.isfinite(loss.item()):
            sys.exit("torch_step: the loss diverged")
        return n, dt / n * 1e6, share


def answer(bench, seconds):
    n, us, share = bench.time(seconds)
    w, d, b = bench.key
    print(f"torch\t{w}\t{d}\t{b}\t{n}\t{us:.3f}\t{share:.3f}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seconds", type=float, default=0.3)
    p.add_argument("--serve", action="store_true", help="answer 'W D B' lines from stdin")
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.set_default_dtype(torch.float32)
    if not args.serve:
        answer(Bench(args.width, args.depth, args.batch), args.seconds)
        return
    print(f"ready\t{torch.__version__}", flush=True)
    bench = None
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "quit":
            break
        key = tuple(int(v) for v in f[:3])
        if bench is None or bench.key != key:
            bench = Bench(*key)
        answer(bench, args.seconds)


if __name__ == "__main__":
    main()
