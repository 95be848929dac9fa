# Two commands for everything: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test faults lint manifest lock clean help

help:
	@echo "make run   - install if needed, load the sample scenario and build the warehouse under var/"
	@echo "make test  - install if needed, then run the whole test suite (lint, dbt, pytest)"
	@echo "make faults - the full fault harness: SIGKILL/SIGTERM at every crash point, then the invariants (about 40 min on 2 busy cores)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# The sample scenario (示例数据) in two acts, so a new installation shows the product working:
# the first build catches the planted defects and the gate refuses the returns (`ipwh run` exits 3);
# then the departments' corrections and the analyst's explanations arrive and the returns are built.
# Loading either act again is a no-op. With real data, run `ipwh run` alone.
run: $(STAMP)
	$(BIN)/ipwh demo
	$(BIN)/ipwh run || test $$? -eq 3
	$(BIN)/ipwh demo --follow-up
	$(BIN)/ipwh run

# The dbt manifest Dagster loads; tests and CI prepare it explicitly.
manifest: $(STAMP)
	$(BIN)/python -c "from orchestration.dbt import prepare_manifest; print(prepare_manifest())"

lint: $(STAMP)
	$(BIN)/ruff check orchestration sources expectations reports tests
	$(BIN)/sqlfluff lint dbt_project --disable-progress-bar

test: $(STAMP) manifest lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The full fault harness (tests/faults/): `make test` runs its short form; this runs every crash point,
# random-moment kills, and `ipwh run` killed during dbt, and prints the trials and invariant violations.
faults: $(STAMP) manifest
	IPWH_FAULTS_FULL=1 $(BIN)/python -m pytest tests/faults -p no:xdist -q -s

lock: $(STAMP)
	@{ echo "# Exact versions for every machine: pip install -c constraints.txt -e '.[dev]'"; \
	   echo "# Regenerate with: make lock"; \
	   $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf var dbt_project/target dbt_project/logs
