"""Published vs reproduced (results/<run>/paper_comparison.md and .csv, a figure per paper).

workflow/paper_reference.yaml says, per paper, what it publishes (cells and claims) and on which
setting (:mod:`.reference` loads and checks it, and reads a run's own setting from its config);
:mod:`.kinds` judges each item on the run's tables; :mod:`.compare` settles every row against
the run's setting (like-for-like, proxy, extension, true by construction) and writes the
comparison; :mod:`.markdown` renders it for people. Only :mod:`.reference` is imported here:
the Snakefile reads it at every start, the rest (pandas) only the comparison job.
"""

from advsal.paper.reference import (
    REFERENCE,
    Context,
    check_paper_keys,
    load_reference,
    paper_keys,
    reference_keys,
    run_setting,
    tables_read,
)

__all__ = [
    "REFERENCE",
    "Context",
    "check_paper_keys",
    "load_reference",
    "paper_keys",
    "reference_keys",
    "run_setting",
    "tables_read",
]
