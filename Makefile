# Minyi: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d" " -f1)

export MINYI_ADMIN_USERNAME ?= admin
export MINYI_ADMIN_PASSWORD ?= minyi-dev-admin

.PHONY: install run test bench dlq dlq-replay system-deps clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## Every service and the gateway, on the embedded defaults (SQLite under ./var).
run: install
	$(BIN)/python -m minyi_common.launcher

## The whole suite: unit, integration (real RabbitMQ and PostgreSQL) and end to end.
test: install system-deps
	$(BIN)/python -m pytest

## Throughput and latency through the gateway, similarity hints, scoring at scale.
bench: install
	$(BIN)/python -m bench.submit_throughput
	$(BIN)/python -m bench.similarity_hints
	$(BIN)/python -m bench.scoring_scale

## Dead-lettered events: list them, or put them back on their queues.
dlq: install
	$(BIN)/python -m minyi_common.dlq list
dlq-replay: install
	$(BIN)/python -m minyi_common.dlq replay

## Tools the tests call that are not Python packages (docker-compose checks the compose file).
system-deps:
	@command -v docker-compose >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
	  else echo "install docker-compose (Debian package docker-compose) to run the compose test"; fi; }

clean:
	rm -rf $(VENV) var
