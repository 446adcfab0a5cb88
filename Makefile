# Minyi: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d" " -f1)

export MINYI_ADMIN_USERNAME ?= admin
export MINYI_ADMIN_PASSWORD ?= minyi-dev-admin

.PHONY: setup backup restore install run test bench breakages dlq dlq-replay system-deps clean node-check web web-check

# The web app (web/, docs/web.md): built when web/dist is missing or older than its sources.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
               web/vite.config.ts web/tsconfig.json web/package.json
NODE_OK := node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
           process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

# For an office's server: .env with fresh random secrets (an existing one is never
# touched), then `docker compose up -d`.
setup:
	python3 tools/setup_env.py

# One archive of every database, the stored files and the keys, made while the system
# runs; restore puts one back on a stopped system (docs/operations.md). With compose:
# docker compose exec gateway python tools/backup.py backup /data/backup.tar.gz
backup: install
	$(BIN)/python tools/backup.py backup $(FILE)

restore: install
	$(BIN)/python tools/backup.py restore $(FILE)

install: $(STAMP)

## Every service and the gateway, on the embedded defaults (SQLite under ./var).
run: install web
	$(BIN)/python -m minyi_common.launcher

## The whole suite: unit, integration (real RabbitMQ and PostgreSQL) and end to end (a
## real Chromium) in pytest: two processes at once, then the tests that restart the
## broker or PostgreSQL alone, with the web app's type check and unit tests beside them.
test: install system-deps web
	$(BIN)/python tools/run_tests.py

node-check:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && $(NODE_OK) || { \
	  echo "minyi: the web app needs Node.js 20.19 or newer with npm (found: $$(node --version 2>/dev/null || echo none)); on Debian: apt-get install nodejs npm" >&2; \
	  exit 1; }

web/node_modules/.package-lock.json: web/package-lock.json | node-check
	cd web && npm ci --no-audit --no-fund --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build -- --logLevel warn

web: web/dist/index.html

## vue-tsc over the app and its generated API types, and the Vitest unit tests.
web-check: web/node_modules/.package-lock.json
	cd web && npm run --silent check

## Throughput and latency through the gateway, similarity hints, scoring at scale.
bench: install web
	$(BIN)/python -m bench.web_app
	$(BIN)/python -m bench.lighthouse
	$(BIN)/python -m bench.submit_throughput
	$(BIN)/python -m bench.rpc_floor
	$(BIN)/python -m bench.login_flood
	$(BIN)/python -m bench.similarity_hints
	$(BIN)/python -m bench.scoring_scale
	$(BIN)/python -m bench.million_reports
	$(BIN)/python -m bench.backlog_import

## Each reliability mechanism taken out in a scratch copy, its tests expected to fail
## (tools/breakages.toml; about ten minutes, not part of `make test`).
breakages: install system-deps
	$(BIN)/python tools/breakages.py $(ROWS)

## Dead-lettered events: list them, or put them back on their queues.
dlq: install
	$(BIN)/python -m minyi_common.dlq list
dlq-replay: install
	$(BIN)/python -m minyi_common.dlq replay

## Tools the tests call that are not Python packages: docker-compose checks the compose
## file; Debian's Chromium (with CJK fonts) runs the browser tests (browsers cannot be
## downloaded by Playwright here).
# LibreOffice renders the .docx documents to PDF in one test; its recommends are not needed.
LEAN_PACKAGES := libreoffice-writer:soffice
SYSTEM_PACKAGES := docker-compose:docker-compose chromium:chromium fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
system-deps:
	@install() { flags="$$1"; shift; missing=""; for pair in "$$@"; do \
	  pkg=$${pair%%:*}; probe=$${pair#*:}; \
	  if [ "$${probe#/}" != "$$probe" ]; then [ -e "$$probe" ] || missing="$$missing $$pkg"; \
	  else command -v "$$probe" >/dev/null 2>&1 || missing="$$missing $$pkg"; fi; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (Debian packages the tests need)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$flags $$missing >/dev/null; \
	  else echo "install these Debian packages to run every test:$$missing"; fi; fi; }; \
	install "" $(SYSTEM_PACKAGES) && install --no-install-recommends $(LEAN_PACKAGES)

clean:
	rm -rf $(VENV) var web/dist web/node_modules
