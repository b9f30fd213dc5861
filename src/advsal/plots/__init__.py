"""advsal's figures, one module per kind, each a function ``<name>_figure(csv, out, opts)``
that reads a table and writes one file atomically:

- :mod:`.matrices`: heatmaps of detector accuracy (Zhang Figs. 3 and 4), panels by FacetGrid;
- :mod:`.lines`: relplot lines (Metzen Fig. 2 left and Fig. 5, training curves);
- :mod:`.bars`: catplot bars (Metzen Fig. 2 right, the 2020 paper's Table 3 and Fig. 2,
  Nguyen's Tables 1-4);
- :mod:`.certified`: Nguyen Fig. 6, bars and an ecdfplot of the certificates;
- :mod:`.images`: images and maps (Zhang Figs. 1 and 7);
- :mod:`.paper`: published vs reproduced, per paper.

Only the ``figure_*`` rules import these (``plots:`` settings re-run only them). The package
sets matplotlib's file-only backend before any module of it imports pyplot.
"""

import matplotlib

matplotlib.use("Agg")
