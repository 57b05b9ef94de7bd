# Reviewer App: the two commands of the README, and a few more.
#   make run    set up (first time) and open the app on the demo visit
#   make test   set up, then ruff, mypy and the whole test suite, headless
#   make screenshots  set up, then save pictures of the windows to tests/artifacts, headless
#   make central  set up, then run the central service on port 8765 (central.sqlite here);
#                 make central DEMO=1 fills it with a demo programme first

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest screenshots dist bench clean setup central

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ "$$QT_QPA_PLATFORM" != "offscreen" ]; then \
	  echo "No screen found: showing the app on a virtual screen (Xvfb). Set DISPLAY to see it."; \
	  xvfb-run -a $(VENV)/bin/reviewer-app --demo; \
	else \
	  $(VENV)/bin/reviewer-app --demo; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy storage sync reviewer_app ui

# On every core (pytest-xdist): each worker has its own service, PostgreSQL and keyring.
pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n auto

# Runs in this order (make without -j): lint, then types, then the suite.
test: lint typecheck pytest

# The tests marked `screenshots` (left out of `make test`): the same checks, and a picture of
# each screen they reach, in tests/artifacts.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m screenshots

dist: $(STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec
	./dist/reviewer-app/reviewer-app --version
	# The bundle must also do real work: build, verify and open the demo kit, headless. With no
	# password store here (CI), the visit's key is wrapped with a passphrase given as a script does.
	rm -rf build/smoke && mkdir -p build/smoke
	REVIEWER_APP_HOME=build/smoke REVIEWER_APP_PASSPHRASE=smoke-passphrase ./dist/reviewer-app/reviewer-app demo kit -o build/smoke/demo.rvkit
	REVIEWER_APP_HOME=build/smoke REVIEWER_APP_PASSPHRASE=smoke-passphrase ./dist/reviewer-app/reviewer-app --demo kit verify build/smoke/demo.rvkit
	REVIEWER_APP_HOME=build/smoke REVIEWER_APP_PASSPHRASE=smoke-passphrase ./dist/reviewer-app/reviewer-app visit open build/smoke/demo.rvkit --as m-lead --demo > build/smoke/visit-id
	# Two bundles: the second is read ahead in a second process, which must start in the bundle.
	REVIEWER_APP_HOME=build/smoke REVIEWER_APP_PASSPHRASE=smoke-passphrase ./dist/reviewer-app/reviewer-app bundle export --visit "$$(cat build/smoke/visit-id)" -o build/smoke/a.rvbundle
	cp build/smoke/a.rvbundle build/smoke/b.rvbundle
	REVIEWER_APP_HOME=build/smoke REVIEWER_APP_PASSPHRASE=smoke-passphrase REVIEWER_APP_READ_AHEAD_FROM_SECONDS=0 ./dist/reviewer-app/reviewer-app bundle import --visit "$$(cat build/smoke/visit-id)" build/smoke/a.rvbundle build/smoke/b.rvbundle
	grep -q "ahead in a second process" build/smoke/logs/reviewer-app.log
	! grep -s "reading bundles in this process\|the reading process stopped" build/smoke/logs/*.log

# The central service for staff, on this machine: the database is made on first start.
# DEMO=1 first fills it with the demo programme (nine invented visits after the visit) and
# prints a staff token to sign in with (README: "After the visit").
CENTRAL_DB ?= central.sqlite
CENTRAL_PORT ?= 8765
DEMO ?=
central: $(STAMP)
	@if [ -n "$(DEMO)" ]; then \
	  $(VENV)/bin/reviewer-app staff demo-central --db $(CENTRAL_DB) --url http://127.0.0.1:$(CENTRAL_PORT); \
	fi
	$(VENV)/bin/reviewer-central serve --db $(CENTRAL_DB) --port $(CENTRAL_PORT)

bench: $(STAMP)
	$(PY) bench/run_all.py
	$(PY) bench/programme_overview.py  # issue 18: 50 visits of 500 standards, <= 10 s

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
