# Postigo: `make run` starts everything on embedded defaults; `make test` runs the suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
ifndef MAIL_PORT  # the mail catcher's SMTP port: 1025, or a free one when 1025 is taken
MAIL_PORT := $(shell $(PYTHON) scripts/free_port.py 1025)
endif
ifndef IMAP_PORT  # its IMAP port (the demo mailbox's replies): 1143, or a free one when taken
IMAP_PORT := $(shell $(PYTHON) scripts/free_port.py 1143)
endif

.PHONY: run test setup setup-dev lint format migrate clean

# --- Set-up (idempotent: re-runs only when pyproject.toml changes) ---------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

# --- Run: web + worker + beat + mail catcher, one Ctrl-C stops them all -----------------------
run: export DEBUG ?= true
run: export POSTIGO_PORT := $(PORT)
run: export POSTIGO_MAIL_PORT := $(MAIL_PORT)
run: export POSTIGO_IMAP_PORT := $(IMAP_PORT)
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Postigo: http://127.0.0.1:$(PORT)/  (caught mail: http://127.0.0.1:$(PORT)/dev/mail/, SMTP on 127.0.0.1:$(MAIL_PORT), IMAP on 127.0.0.1:$(IMAP_PORT))"
	exec $(BIN)/honcho -f Procfile.dev start

# --- Test: lint, format check, the whole pytest suite (browser tests included) ----------------
test: setup-dev
	bash scripts/ensure-test-tools.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: setup
	DEBUG=true $(BIN)/python manage.py migrate --noinput

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
