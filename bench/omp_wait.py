"""OpenMP's wait policy when torch processes share the cores: the same small CNN training
(MNIST-sized batches, the pipeline's kind of work) alone and two at once, with torch's default
(threads spin while they wait) and with ``OMP_WAIT_POLICY=PASSIVE`` (they sleep), at 2 threads
and at 1. Prints each case's seconds per process and its ratio to one 1-thread process alone.

    python bench/omp_wait.py [steps]
"""

import os
import subprocess
import sys
import time

WORK = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
    torch.nn.Flatten(), torch.nn.Linear(64 * 24 * 24, 10),
)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
x, y = torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))
for _ in range(int(sys.argv[2])):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
"""


def timed(n: int, threads: int, policy: str | None, steps: int) -> float:
    """Wall seconds of ``n`` processes started together (their mean)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    cmd = [sys.executable, "-c", WORK, str(threads), str(steps)]
    t0 = time.time()
    procs = [subprocess.Popen(cmd, env=env) for _ in range(n)]
    for p in procs:
        p.wait()
    return time.time() - t0


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    base = timed(1, 1, None, steps)
    print(f"{'processes':>9} {'threads':>7} {'wait policy':>11} {'seconds':>8} {'ratio':>6}")
    for n, threads, policy in [
        (1, 1, None),
        (1, 2, None),
        (1, 2, "PASSIVE"),
        (2, 1, None),
        (2, 2, None),
        (2, 2, "PASSIVE"),
    ]:
        s = base if (n, threads, policy) == (1, 1, None) else timed(n, threads, policy, steps)
        print(f"{n:>9} {threads:>7} {policy or 'default':>11} {s:>8.1f} {s / base:>6.2f}")


if __name__ == "__main__":
    main()
