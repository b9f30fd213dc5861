# Two commands on a fresh machine: `make run` and `make test`. Both install idempotently.
VENV    ?= .venv
PY      := $(VENV)/bin/python
SMK     := $(VENV)/bin/snakemake
CORES   ?= all
ARGS    ?=

.PHONY: install install-test run test lint report rulegraph bench clean

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
	$(SMK) --cores $(CORES) --resources gpu=1 $(ARGS)

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

clean:
	rm -rf results logs benchmarks .snakemake
