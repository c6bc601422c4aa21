# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := booking

.PHONY: run test format bench load translations messages clean sbom

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d booking/translations

run: $(VENV)/.installed translations
	APP_ENV=development $(BIN)/flask db upgrade
	APP_ENV=development $(BIN)/flask seed --demo
	# The mail sender runs beside the server; without MAIL_SERVER it prints each e-mail here.
	APP_ENV=development $(BIN)/flask mail worker --poll 2 & \
	APP_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-dev translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

# Timings of booking and availability with 10k to 1M reservations, as ratios to a trivial
# endpoint (a report: it exits 0 even when a target is missed). BENCH_ARGS=--postgresql adds
# a run on TEST_DATABASE_URL.
bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Locust against gunicorn on TEST_DATABASE_URL (PostgreSQL), at growing user counts, bounded
# in time (LOAD_ARGS="--users 10,25 --seconds 30" for a shorter run).
load: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# A CycloneDX inventory (SBOM) of what the app runs on, its dependencies without the
# development tools, made for each release: sbom.cdx.json.
sbom: $(VENV)/.installed-dev
	rm -rf .sbom-venv && $(PYTHON) -m venv .sbom-venv
	.sbom-venv/bin/pip install --quiet .
	$(BIN)/cyclonedx-py environment .sbom-venv/bin/python --pyproject pyproject.toml \
		--output-reproducible --output-file sbom.cdx.json
	rm -rf .sbom-venv

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# For maintainers: collect new texts into the English catalog, then translate them there.
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o booking/translations/messages.pot .
	$(BIN)/pybabel update -i booking/translations/messages.pot -d booking/translations --ignore-obsolete
