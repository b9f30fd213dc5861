# Two commands on a fresh machine: `make run` and `make test`. Both install idempotently.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SMK     := $(VENV)/bin/snakemake
CORES   ?= all
# GPU jobs at once (the rules' `gpu` resource): one per GPU; with no GPU, as many as cores, so
# torch jobs on the CPU share the cores like any other job instead of queueing one at a time
GPUS    ?= $(shell n=$$(nvidia-smi -L 2>/dev/null | grep -c '^GPU'); [ "$${n:-0}" -gt 0 ] && echo $$n || nproc)
ARGS    ?=

.PHONY: install install-test run smoke test lint report rulegraph bench slurm-cancel clean

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
	$(SMK) --cores $(CORES) $(ARGS) --resources gpu=$(GPUS)

# the tiny config (config/tiny.yaml): every stage in a few minutes, in a scratch directory
SMOKE   ?= results/smoke
smoke: install
	mkdir -p $(SMOKE)
	$(SMK) --cores $(CORES) --configfile config/tiny.yaml --directory $(SMOKE) -s $(CURDIR)/Snakefile $(ARGS) --resources gpu=$(GPUS)

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
