# The README's two commands: `make run` (install, migrate, demo, serve) and `make test`.
# A Makefile is the one top-level addition: it is what makes those exactly one command each.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py seed_demo --staff-login
	@echo ""
	@echo "  Residents:   http://$(HOST):$(PORT)/c/osallistumismalli-2026/"
	@echo "  Moderation:  http://$(HOST):$(PORT)/moderation/"
	@echo "  Admin:       http://$(HOST):$(PORT)/admin/  (log in with the demo staff login above)"
	@echo ""
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install  # also run by the suite (tests/test_code_style.py)
	$(BIN)/ruff check .

messages: install
	# From the top folder: run inside voxit/ it would see only voxit's own strings and drop the rest.
	DEBUG=true $(BIN)/python manage.py makemessages -l fi -l sv -l en --ignore '.venv/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'
