# Two commands on a fresh machine: `make run` and `make test`. Both install idempotently.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SMK     := $(VENV)/bin/snakemake
CORES   ?= all
# torch jobs sharing one GPU (docs/running.md, "GPUs and cores"): each job holds one GPU slot for its life
JOBS_PER_GPU ?= 2
# torch jobs at once (the rules' `gpu` resource): GPUs x JOBS_PER_GPU. On a host without a GPU
# none is passed: torch jobs there ask for no `gpu` and share the cores like any other job (and
# a cluster profile in ARGS is not held to one GPU job at a time). Expanded when the recipe
# runs, after the install: advsal.gpus counts the GPUs (the NVIDIA driver's list, cut to
# CUDA_VISIBLE_DEVICES), the same count the Snakefile uses.
GPUS    ?= $(shell $(PY) -c 'from advsal.gpus import host_gpu_count as n; print(n() * $(JOBS_PER_GPU))')
GPU_RESOURCE = $(if $(filter-out 0,$(GPUS)),--resources gpu=$(GPUS))
ARGS    ?=
# torch's OpenMP threads sleep while they wait, in the jobs and in the tests' own process:
# spinning, they doubled the time of processes sharing the cores (bench/omp_wait.py)
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: help install install-test install-slurm run smoke presets-smoke test lint report rulegraph gpu-check bench slurm slurm-cancel clean
.DEFAULT_GOAL := help

help:  ## list the targets, a line each
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	python3 -m venv $(VENV)

# A stamp per dependency set: re-installs only when the pins or the project metadata change.
$(VENV)/.run-deps: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

$(VENV)/.slurm-deps: $(VENV)/.run-deps
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[slurm]'
	touch $@

install: $(VENV)/.run-deps  ## the pipeline's dependencies in .venv (idempotent)
install-test: $(VENV)/.test-deps  ## and the tests' (pytest, ruff, peer attack libraries)
install-slurm: $(VENV)/.slurm-deps  ## and SLURM's executor plugin (advsal[slurm])

run: install  ## the whole DAG on config.yaml (the default: 5,000 MNIST digits, ~12 min)
	$(SMK) --cores $(CORES) $(ARGS) $(GPU_RESOURCE)

# the tiny config (config/tiny.yaml): every stage in a few minutes, in a scratch directory
SMOKE   ?= results/smoke
smoke: install  ## config/tiny.yaml, every stage in a few minutes, in results/smoke
	mkdir -p $(SMOKE)
	$(SMK) --cores $(CORES) --configfile config/tiny.yaml --directory $(SMOKE) -s $(CURDIR)/Snakefile $(ARGS) $(GPU_RESOURCE)

# every paper preset's whole DAG on stand-in data of its own shape, sizes cut (config/README.md, "Presets");
# PRESETS="cifar10 assira" runs some; the summary goes to $(PRESETS_DIR)/presets-smoke.csv
PRESETS_DIR ?= results/presets-smoke
PRESETS ?=
# SMOKE_PARALLEL: presets at once (CI: 2, filling the cores a preset's narrow steps leave idle)
SMOKE_PARALLEL ?= 1
presets-smoke: install  ## every paper preset end to end on stand-in data (PRESETS=... for some)
	$(PY) -m advsal.smoke --workdir $(PRESETS_DIR) $(if $(filter-out all,$(CORES)),--cores $(CORES)) --parallel $(SMOKE_PARALLEL) $(PRESETS)

test: install-test  ## the test suite (about 13 minutes on 2 cores)
	$(PY) -m pytest -q $(ARGS)

lint: install-test  ## ruff check, ruff format --check, snakemake --lint
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(SMK) --lint

# every table and figure of the finished run, captioned with the paper item it reproduces
report: install  ## results/report.html: every table and figure, captioned
	$(SMK) --cores 1 --report results/report.html $(ARGS)

rulegraph: install  ## docs/rulegraph.svg from the DAG's rules
	$(SMK) --rulegraph | dot -Tsvg > docs/rulegraph.svg

# on a GPU host: the tiny DAG with JOBS_PER_GPU jobs per GPU (no GPU over its slots), then each
# torch rule family's speed-up over one CPU core and peak memory (bench/gpu_check.csv, read by
# bench/preset_resources.py); on a host without a GPU one line, exit 0
gpu-check: install  ## on a GPU host: slots respected, GPU speed-up per rule family measured
	$(PY) bench/gpu_check.py --per-gpu $(JOBS_PER_GPU)

bench: install-test  ## the speed and peer comparisons in bench/
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	$(PY) bench/attacks.py
	$(PY) bench/saliency.py
	$(PY) bench/stadv_budget.py
	$(PY) bench/sdp.py

# the whole DAG through profiles/slurm (sbatch per job); ARGS for the cluster's settings, e.g.
# ARGS="--default-resources slurm_partition=gpu slurm_account=my_project" (docs/running.md)
slurm: install-slurm  ## the whole DAG on a SLURM cluster (ARGS: partition, account)
	$(SMK) --profile profiles/slurm $(ARGS)

# after a kill -9 of `snakemake --profile profiles/slurm`: cancel its jobs (named advsal_<run id>),
# then `snakemake --unlock` and run again (docs/running.md, "On a SLURM cluster")
slurm-cancel:  ## scancel every job of yours named advsal_* (after a kill -9)
	squeue --me -h -o '%i %j' | awk '$$2 ~ /^advsal_/ {print $$1}' | xargs -r scancel

clean:  ## remove results, logs and Snakemake's state
	rm -rf results logs benchmarks .snakemake
