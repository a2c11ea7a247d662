# TeamLLM: `make test` and `make demo` do all set-up themselves on a fresh Debian machine.
SHELL := /bin/bash
DATA_DIR ?= $(if $(TEAMLLM_DATA_DIR),$(TEAMLLM_DATA_DIR),$(CURDIR)/../shared/data)
DEBIAN_PACKAGES := libsqlite3-dev libcurl4-openssl-dev bubblewrap python3
SWIFT_TEST_FLAGS ?=

.PHONY: deps build test demo bench clean

# Installs whichever of the Debian packages the project needs are missing (needs root or sudo), and the
# Python packages two tests use: jsonschema (the schema test) and rfc8785 (an independent canonical-JSON check).
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q "jsonschema>=4.18"
	@python3 -c "import rfc8785" 2>/dev/null || python3 -m pip install -q "rfc8785>=0.1.4"

build: deps
	swift build

test: build
	TEAMLLM_DATA_DIR="$(DATA_DIR)" swift test --disable-xctest $(SWIFT_TEST_FLAGS)

DEMO_MANIFEST := registry/manifests/demo-gsm8k-replay.yaml
TEAMLLM := .build/debug/teamllm
DEMO_OPTS = --data-dir "$(DATA_DIR)" --runs-dir runs

# The GSM8K replay sweep (four recorded GPT-3 models + a simulated pool), its summary, agreement, verify, one audit.
demo: build
	@echo "== plan (nothing is called)"
	@$(TEAMLLM) plan $(DEMO_MANIFEST) $(DEMO_OPTS)
	@echo "== run (resumes if it was interrupted; a finished run is left as it is)"
	@$(TEAMLLM) run $(DEMO_MANIFEST) $(DEMO_OPTS)
	@run=$$($(TEAMLLM) plan $(DEMO_MANIFEST) $(DEMO_OPTS) | awk 'NR==1 {print $$2}'); \
	echo "== summary of $$run"; $(TEAMLLM) summary $$run $(DEMO_OPTS) && \
	echo "== agreement with the publisher's is_correct labels"; $(TEAMLLM) agreement $$run $(DEMO_OPTS) && \
	echo "== verify"; $(TEAMLLM) verify $$run $(DEMO_OPTS) && \
	echo "== audit of one cell (model gpt3-175b-verification, item 0)"; \
	$(TEAMLLM) audit $$run --model gpt3-175b-verification --item 0 $(DEMO_OPTS) && \
	echo "== the matrix: $(TEAMLLM) matrix $$run --format csv $(DEMO_OPTS)"

bench: deps
	swift build -c release
	.build/release/teamllm-bench --data-dir "$(DATA_DIR)"

clean:
	rm -rf .build runs/cache runs/*-*
