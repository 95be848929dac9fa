# Two commands for everything: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-spark java test-clock faults lint manifest print-tools browser postgres lock clean help

help:
	@echo "make run   - install if needed, load the sample scenario and build the warehouse under var/"
	@echo "make test  - install if needed, then run the whole test suite (lint, dbt, pytest)"
	@echo "make test-spark - the dbt project built on Apache Spark and every mart compared with DuckDB's (5-10 min)"
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
# The sample is set on SAMPLE_DAY (sources/demo/follow_up.py), pinned so it tells the same story on any day.
SAMPLE_DAY := 2026-11-21
run: $(STAMP)
	IPWH_TODAY=$(SAMPLE_DAY) $(BIN)/ipwh demo
	IPWH_TODAY=$(SAMPLE_DAY) $(BIN)/ipwh run || test $$? -eq 3
	IPWH_TODAY=$(SAMPLE_DAY) $(BIN)/ipwh demo --follow-up
	IPWH_TODAY=$(SAMPLE_DAY) $(BIN)/ipwh run
	IPWH_TODAY=$(SAMPLE_DAY) $(BIN)/ipwh portal setup
	@echo "网上报送平台：运行 $(BIN)/ipwh portal，浏览器打开 http://127.0.0.1:8000/ ；账户与初始密码见 var/portal/initial_passwords.csv"

# The dbt manifest Dagster loads; tests and CI prepare it explicitly.
manifest: $(STAMP)
	$(BIN)/python -c "from orchestration.dbt import prepare_manifest; print(prepare_manifest())"

lint: $(STAMP)
	$(BIN)/ruff check core orchestration sources expectations reports monitoring_site tests portal
	$(BIN)/sqlfluff lint dbt_project --disable-progress-bar

# LibreOffice, CJK fonts and poppler: the print-layout tests render forms, returns and receipts to
# PDF and read the pages back. Installed when missing (Debian/Ubuntu, as root or with sudo); where
# that is impossible those tests are skipped, except under CI (CI=true), where they fail.
PRINT_PACKAGES := libreoffice-calc-nogui fonts-noto-cjk poppler-utils
print-tools:
	@if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	if command -v apt-get >/dev/null && $$SUDO apt-get update -qq \
	   && $$SUDO apt-get install -y -qq --no-install-recommends $(PRINT_PACKAGES); then exit 0; fi; \
	if [ -n "$$CI" ]; then echo "CI: could not install $(PRINT_PACKAGES)" >&2; exit 1; fi; \
	echo "note: $(PRINT_PACKAGES) not installed; the print-layout tests will be skipped" >&2

# Headless Chromium and CJK fonts for the monitoring site's browser tests, installed the same way;
# without them those tests are skipped, except under CI (CI=true), where they fail.
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; \
	then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	if command -v apt-get >/dev/null && $$SUDO apt-get update -qq \
	   && $$SUDO apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES); then exit 0; fi; \
	if [ -n "$$CI" ]; then echo "CI: could not install $(BROWSER_PACKAGES)" >&2; exit 1; fi; \
	echo "note: $(BROWSER_PACKAGES) not installed; the browser tests will be skipped" >&2


# Debian's PostgreSQL: the portal's server settings are tested against a cluster the test starts itself.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	if command -v apt-get >/dev/null && $$SUDO apt-get update -qq \
	   && $$SUDO apt-get install -y -qq --no-install-recommends postgresql; then exit 0; fi; \
	if [ -n "$$CI" ]; then echo "CI: could not install postgresql" >&2; exit 1; fi; \
	echo "note: postgresql not installed; the Postgres test will be skipped" >&2

test: $(STAMP) manifest lint print-tools browser postgres
	$(BIN)/python -m pytest -n 2 --dist loadfile -q --durations=15
	$(MAKE) --no-print-directory test-clock

# The date-sensitive tests again with the machine's clock moved by libfaketime (Debian's faketime,
# installed here when missing): a test that mixes the wall clock with a pinned day fails here on the
# day it is written, not months later. (The monotonic clock is moved too: with it left real,
# libfaketime makes short sleeps fail with EINVAL.) Files keep the kernel's real times, so a test that
# drops a file says when (tests/form_files.dropped_at). More days: make test-clock CLOCK_DAYS="2027-12-01 2030-01-01"
CLOCK_DAYS ?= 2030-01-01
CLOCK_TESTS ?= tests/test_calendar.py tests/test_task_reports.py tests/test_intake.py tests/test_centres.py
test-clock: $(STAMP)
	@command -v faketime >/dev/null || { apt-get update -qq && apt-get install -y -qq faketime >/dev/null; }
	@for day in $(CLOCK_DAYS); do \
	  echo "clock moved to $$day:"; \
	  faketime -f "@$$day 10:00:00" \
	    $(BIN)/python -m pytest -n 2 --dist loadfile -q -p no:cacheprovider $(CLOCK_TESTS) || exit 1; \
	done

# The same dbt project on Apache Spark (local[2], in-process), every mart compared figure by figure with
# the DuckDB build of the sample (tests/spark). The spark extra (dbt-spark, pyspark) is installed only
# here, and Java 17 from Debian's packages when missing, so `make test` does not pay for them.
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

JAVA_PACKAGES := openjdk-17-jre-headless
java:
	@if command -v java >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
	$$SUDO mkdir -p /usr/share/man/man1; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $(JAVA_PACKAGES) \
	  || { echo "could not install $(JAVA_PACKAGES): Spark needs Java 17" >&2; exit 1; }

test-spark: $(SPARK_STAMP) java
	IPWH_SPARK_TESTS=1 $(BIN)/python -m pytest tests/spark -p no:xdist -q -s

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
