# The README's two commands: `make run` and `make test`. Everything else here serves them.
# Extra pytest arguments: make test ARGS='-k incidents -x'  (or PYTEST_ADDOPTS='...').

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: install run test lint system-packages messages backup restore

install: $(VENV)/.installed

# The pinned versions in pyproject.toml, installed as a requirements list: the project itself is not a package
# (`packages = []`), so nothing is built. Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
		print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	touch $@

run: install
	$(PY) -m itsm.devstack run

# Browser tests drive Debian's chromium (Playwright's own browser download is not used); the translation tests
# and `make messages` need GNU gettext. Installed with apt when missing and we are root.
system-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v xgettext >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "Some tests will be skipped without:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

# Refresh the Chinese catalogue from the sources and compile it (settings need a DATABASE_URL, never reached).
messages: install
	DATABASE_URL=$${DATABASE_URL:-postgres://unused@localhost/unused} \
		$(PY) manage.py makemessages -l zh_Hans --no-location --ignore=tests
	DATABASE_URL=$${DATABASE_URL:-postgres://unused@localhost/unused} $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=.data

# A timestamped folder with the database dump, the media archive and a manifest (itsm/backup.py; README "Backups").
# INTO=folder puts it elsewhere than $(ITSM_DATA_DIR)/backups.
backup: install
	$(PY) -m itsm.backup backup $(if $(INTO),--into "$(INTO)")

# make restore BACKUP=.data/backups/itsm-20261203T101500Z [REPLACE=1]: REPLACE drops a database that has tables.
restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<backup folder> [REPLACE=1]"; exit 2; }
	$(PY) -m itsm.backup restore "$(BACKUP)" $(if $(REPLACE),--replace)

lint: install
	$(VENV)/bin/ruff check .

test: install system-packages lint
	$(PY) -m itsm.devstack test --checks $(ARGS)
