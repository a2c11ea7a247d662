# TeamLLM: `make test` and `make demo` do all set-up themselves on a fresh Debian machine.
SHELL := /bin/bash
DATA_DIR ?= $(if $(TEAMLLM_DATA_DIR),$(TEAMLLM_DATA_DIR),$(CURDIR)/../shared/data)
DEBIAN_PACKAGES := libsqlite3-dev zlib1g-dev bubblewrap python3 chromium
SWIFT_TEST_FLAGS ?=

.PHONY: deps build test demo demo-graders demo-report demo-http bench bench-python-client clean

# Installs whichever of the Debian packages the project needs are missing (needs root or sudo; chromium renders
# the report in its test), and the Python packages three tests use: jsonschema (the schema test), rfc8785 (an
# independent canonical-JSON check) and scipy (the independent reference for the analyses' statistics).
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q "jsonschema>=4.18"
	@python3 -c "import rfc8785" 2>/dev/null || python3 -m pip install -q "rfc8785>=0.1.4"
	@python3 -c "import scipy" 2>/dev/null || python3 -m pip install -q "scipy>=1.11"

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
	@$(MAKE) --no-print-directory demo-graders
	@$(MAKE) --no-print-directory demo-report

GPT3_POOL := gpt3-6b-finetuning,gpt3-6b-verification,gpt3-175b-finetuning,gpt3-175b-verification

# The analyses (docs/analyses.md) of both demo runs, ending with the HTML reports and where they are.
demo-report: build
	@run=$$($(TEAMLLM) plan $(DEMO_MANIFEST) $(DEMO_OPTS) | awk 'NR==1 {print $$2}'); \
	grun=$$($(TEAMLLM) plan $(GRADERS_MANIFEST) $(DEMO_OPTS) | awk 'NR==1 {print $$2}'); \
	echo "== analyze $$run: the co-failure certificate of the four published GPT-3 configurations"; \
	$(TEAMLLM) analyze $$run --models $(GPT3_POOL) $(DEMO_OPTS) && \
	echo "== report on MATH-500 of $$grun (three samples per model: every policy replay)"; \
	$(TEAMLLM) report $$grun --benchmark math500 $(DEMO_OPTS) && \
	echo "== report on $$run (all seven models), open it in a browser:"; \
	$(TEAMLLM) report $$run $(DEMO_OPTS)

GRADERS_MANIFEST := registry/manifests/demo-graders-simulated.yaml

# MATH-500 (graded by boxed-latex@1, as its manifest pre-registers) and two multiple-choice sets on the simulated
# pool, then a regrade with boxed-latex@2 and its diff, at $$0; a second regrade finds nothing left to do.
demo-graders: build
	@echo "== graders: MATH-500 and multiple choice on the simulated pool"
	@$(TEAMLLM) run $(GRADERS_MANIFEST) $(DEMO_OPTS)
	@run=$$($(TEAMLLM) plan $(GRADERS_MANIFEST) $(DEMO_OPTS) | awk 'NR==1 {print $$2}'); \
	echo "== summary of $$run (each answer's newest grade)"; $(TEAMLLM) summary $$run $(DEMO_OPTS) && \
	echo "== regrade with boxed-latex@2 (reads matrices entry by entry): nothing is called"; \
	$(TEAMLLM) regrade $$run --grader boxed-latex@2 $(DEMO_OPTS) && \
	echo "== verify (each grade re-made by the version that made it)"; $(TEAMLLM) verify $$run $(DEMO_OPTS) && \
	echo "== one multiple-choice cell, options as shown"; \
	$(TEAMLLM) audit $$run --model sim-mid --item gpqa-001 --sample 0 $(DEMO_OPTS) | grep -E '^(grade|  extracted|  options)'

HTTP_MANIFEST := registry/manifests/demo-openrouter-imitation.yaml
HTTP_PORT := 18089
HTTP_FAULTS := 429=0.04,429u=0.01,500=0.02,502=0.02,503=0.01,error200=0.01,no_choices=0.01,keepalive=0.02
HTTP_LATENCY := lognormal:150:1500

# The demo sweep over real HTTP: starts the imitation on 127.0.0.1:$(HTTP_PORT) with faults and heavy-tailed
# latency, runs the sweep with its live progress line, reconciles against the imitation's ledger, shows
# status and verifies, then stops the imitation. Each time from scratch: the imitation's ledger and
# generations live only as long as it runs.
demo-http: build
	@rm -rf runs/demo-openrouter-imitation-* runs/cache-http
	@mkdir -p runs
	@$(TEAMLLM) imitate --port $(HTTP_PORT) --seed 7 --faults "$(HTTP_FAULTS)" --latency "$(HTTP_LATENCY)" \
	  --manifest $(HTTP_MANIFEST) --data-dir "$(DATA_DIR)" > runs/imitation.log 2>&1 & echo $$! > runs/imitation.pid
	@for i in $$(seq 1 100); do grep -q listening runs/imitation.log 2>/dev/null && break; sleep 0.2; done; cat runs/imitation.log
	@trap 'kill -INT $$(cat runs/imitation.pid) 2>/dev/null; rm -f runs/imitation.pid' EXIT; \
	export OPENROUTER_API_KEY=sk-or-v1-imitation; \
	echo "== run (faults: $(HTTP_FAULTS); latency: $(HTTP_LATENCY))"; \
	$(TEAMLLM) run $(HTTP_MANIFEST) $(DEMO_OPTS) && \
	run=$$($(TEAMLLM) plan $(HTTP_MANIFEST) $(DEMO_OPTS) | awk 'NR==1 {print $$2}') && \
	echo "== reconcile $$run against the imitation's /generation and /key" && $(TEAMLLM) reconcile $$run $(DEMO_OPTS) && \
	echo "== status" && $(TEAMLLM) status $$run $(DEMO_OPTS) && \
	echo "== summary" && $(TEAMLLM) summary $$run $(DEMO_OPTS) && \
	echo "== verify" && $(TEAMLLM) verify $$run $(DEMO_OPTS)

bench: deps
	swift build -c release
	.build/release/teamllm-bench --data-dir "$(DATA_DIR)"

# The imitation (release build, its own process, fixed 200 ms) under a Python client: the server's share of
# the HTTP cost, apart from the client's (docs/benchmarks.md).
bench-python-client:
	swift build -c release
	@.build/release/teamllm imitate --port 18114 --latency fixed:200 --data-dir "$(DATA_DIR)" > /tmp/teamllm-imitation-bench.log 2>&1 & pid=$$!; \
	for i in $$(seq 1 100); do grep -q listening /tmp/teamllm-imitation-bench.log 2>/dev/null && break; sleep 0.1; done; \
	python3 scripts/python-client-load.py 18114; kill -INT $$pid

clean:
	rm -rf .build runs/cache runs/*-*
