"""Peak memory of one forward pass without gradients, per image of a batch (VGG16 at 224 px).

The passes that score a split (``advsal.training.predict``) run in batches of up to 512 images
and a frozen network's features in batches of 256; a smoke's splits hold far fewer images, so
``bench/memory_fit.py`` does not see these batches. Each batch size runs in a fresh process
(one thread, random weights: the weights do not change the activations' size), and the line
through the peaks gives MB per image of a batch. 2026-12-06, this 2-core machine: 1,358, 1,806
and 2,403 MB at 4, 16 and 32 images, 37.3 MB per image (~19 GB at 512).

    python bench/forward_memory.py [--arch vgg16] [--size 224] [--batches 4 16 32]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = """
import resource, sys, torch, torchvision
torch.set_num_threads(1)
arch, size, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = getattr(torchvision.models, arch)(weights=None).eval()
with torch.no_grad():
    model(torch.rand(batch, 3, size, size))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="vgg16", help="a torchvision model")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 16, 32])
    args = parser.parse_args()
    peaks = []
    for batch in args.batches:
        cmd = [sys.executable, "-c", CHILD, args.arch, str(args.size), str(batch)]
        peaks.append(int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout))
        print(f"{args.arch} at {args.size} px, batch {batch}: peak {peaks[-1]} MB", flush=True)
    n = args.batches
    slope = (peaks[-1] - peaks[0]) / (n[-1] - n[0])
    print(
        f"{slope:.1f} MB per image of a batch: {slope * 512 / 1024:.1f} GB at 512, "
        f"{slope * 256 / 1024:.1f} GB at 256"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
