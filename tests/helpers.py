"""Helpers shared by test modules (tests/ is a package: ``from tests.helpers import ...``)."""

from __future__ import annotations


def job_stats(text: str) -> dict:
    """The 'Job stats' table of a Snakemake dry run: rule -> count."""
    lines = text.splitlines()
    start = lines.index("Job stats:") + 3  # title, header, dashes
    out = {}
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        out[parts[0]] = int(parts[1])
    return out
