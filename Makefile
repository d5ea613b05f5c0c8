# Two commands set everything up on a fresh clone:  `make run`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

LANDING ?= $(or $(JEUGDHULP_LANDING_DIR),data/landing)
WAREHOUSE ?= $(or $(JEUGDHULP_WAREHOUSE),data/warehouse/jeugdhulp.duckdb)
DEMO_CLIENTS ?= 3000

.PHONY: install run ui test test-spark bench bench-national lint format validate manifest demo-data docs report export clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## dbt manifest: Dagster reads it to build the asset graph.
manifest: $(STAMP)
	$(BIN)/python -m orchestration.dbt_project_prepare

demo-data: $(STAMP)
	@if [ -z "$$(find $(LANDING) -type f \( -name '*.csv' -o -name '*.parquet' -o -name '*.xml' \) 2>/dev/null | head -1)" ]; then \
		echo "Landing folder $(LANDING) is empty: generating demo data ($(DEMO_CLIENTS) clients)"; \
		$(BIN)/jeugdhulp generate --out $(LANDING) --clients $(DEMO_CLIENTS); \
	fi

## The main job on the embedded default (DuckDB + generated demo data).
run: manifest demo-data
	$(BIN)/jeugdhulp run --landing $(LANDING) --warehouse $(WAREHOUSE)

## Dagster UI on http://127.0.0.1:3000
ui: manifest
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## dbt docs (lineage and column descriptions) on http://127.0.0.1:8080, from the working database
## and, for the marts, the published warehouse (attached where dbt builds the next publication)
WORKING_DB ?= $(or $(JEUGDHULP_WORKING_DB),$(dir $(WAREHOUSE)).$(basename $(notdir $(WAREHOUSE))).working.duckdb)
docs: manifest
	cd dbt_project && JEUGDHULP_WORKING_DB=$(abspath $(WORKING_DB)) JEUGDHULP_PUBLICATION_DB=$(abspath $(WAREHOUSE)) ../$(BIN)/dbt docs generate --profiles-dir . --quiet
	cd dbt_project && ../$(BIN)/dbt docs serve --profiles-dir . --host 127.0.0.1 --port 8080 --no-browser

report: $(STAMP)
	$(BIN)/jeugdhulp report --warehouse $(WAREHOUSE)

export: $(STAMP)
	$(BIN)/jeugdhulp export --warehouse $(WAREHOUSE)

validate: manifest
	$(BIN)/dagster definitions validate -w workspace.yaml

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests benchmarks
	$(BIN)/ruff format --check orchestration tests benchmarks
	@mkdir -p dbt_project/target  # the dbt templater opens a (throw-away) working database
	JEUGDHULP_WORKING_DB=$(CURDIR)/dbt_project/target/sqlfluff.duckdb $(BIN)/sqlfluff lint dbt_project/models --processes 1

format: $(STAMP)
	$(BIN)/ruff check --fix orchestration tests benchmarks
	$(BIN)/ruff format orchestration tests benchmarks
	@mkdir -p dbt_project/target
	JEUGDHULP_WORKING_DB=$(CURDIR)/dbt_project/target/sqlfluff.duckdb $(BIN)/sqlfluff fix dbt_project/models --processes 1

test: manifest lint
	$(BIN)/python -m pytest

## Benchmarks (benchmarks/README.md): regional ≈ 50k clients, national ≈ 1M clients / 60M lines
bench: manifest
	$(BIN)/python -m benchmarks.run --scale regional

bench-national: manifest
	$(BIN)/python -m benchmarks.run --scale national

## The dbt models on local Apache Spark, compared mart by mart with DuckDB (needs Java 17).
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

test-spark: manifest $(SPARK_STAMP)
	SPARK_LOCAL_IP=127.0.0.1 $(BIN)/python -m pytest -m spark tests/test_spark_equality.py

clean:
	rm -rf dbt_project/target dbt_project/logs data .pytest_cache
