# Two commands on a fresh machine: `make run` and `make test`. Both install idempotently.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SMK     := $(VENV)/bin/snakemake
CORES   ?= all
# torch jobs sharing one GPU (README, "GPUs and cores"): each job holds one GPU slot for its life
JOBS_PER_GPU ?= 2
# torch jobs at once (the rules' `gpu` resource): GPUs x JOBS_PER_GPU. On a host without a GPU
# none is passed: torch jobs there ask for no `gpu` and share the cores like any other job (and
# a cluster profile in ARGS is not held to one GPU job at a time). Expanded when the recipe
# runs, after the install: advsal.gpus counts the GPUs (the NVIDIA driver's list, cut to
# CUDA_VISIBLE_DEVICES), the same count the Snakefile uses.
GPUS    ?= $(shell $(PY) -c 'from advsal.gpus import host_gpu_count as n; print(n() * $(JOBS_PER_GPU))')
GPU_RESOURCE = $(if $(filter-out 0,$(GPUS)),--resources gpu=$(GPUS))
ARGS    ?=

.PHONY: install install-test run smoke presets-smoke test lint report rulegraph bench slurm-cancel clean

$(PY):
	python3 -m venv $(VENV)

# A stamp per dependency set: re-installs only when the pins or the project metadata change.
$(VENV)/.run-deps: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.run-deps
install-test: $(VENV)/.test-deps

run: install
	$(SMK) --cores $(CORES) $(ARGS) $(GPU_RESOURCE)

# the tiny config (config/tiny.yaml): every stage in a few minutes, in a scratch directory
SMOKE   ?= results/smoke
smoke: install
	mkdir -p $(SMOKE)
	$(SMK) --cores $(CORES) --configfile config/tiny.yaml --directory $(SMOKE) -s $(CURDIR)/Snakefile $(ARGS) $(GPU_RESOURCE)

# every paper preset's whole DAG on stand-in data of its own shape, sizes cut (README, "Presets");
# PRESETS="cifar10 assira" runs some; the summary goes to $(PRESETS_DIR)/presets-smoke.csv
PRESETS_DIR ?= results/presets-smoke
PRESETS ?=
presets-smoke: install
	$(PY) -m advsal.smoke --workdir $(PRESETS_DIR) $(if $(filter-out all,$(CORES)),--cores $(CORES)) $(PRESETS)

test: install-test
	$(PY) -m pytest -q $(ARGS)

lint: install-test
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(SMK) --lint

# every table and figure of the finished run, captioned with the paper item it reproduces
report: install
	$(SMK) --cores 1 --report results/report.html $(ARGS)

rulegraph: install
	$(SMK) --rulegraph | dot -Tsvg > docs/rulegraph.svg

bench: install-test
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	$(PY) bench/attacks.py
	$(PY) bench/saliency.py
	$(PY) bench/stadv_budget.py
	$(PY) bench/sdp.py

# after a kill -9 of `snakemake --profile profiles/slurm`: cancel its jobs (named advsal_<run id>),
# then `snakemake --unlock` and run again (README, "On a SLURM cluster")
slurm-cancel:
	squeue --me -h -o '%i %j' | awk '$$2 ~ /^advsal_/ {print $$1}' | xargs -r scancel

clean:
	rm -rf results logs benchmarks .snakemake
