"""Path tokens shared by the config, the stages and the tables (no imports: the tables and
figures read these without depending on the registries the config checks)."""

NO_EPS = "none"  # the budget token of an eps-less attack
COMBINED = "all"  # the attack token of a detector fitted to all its attacks at once (Table 6)
CLEAN = "clean"  # the attack token of an attack-agnostic detector's one fit (clean data only)
