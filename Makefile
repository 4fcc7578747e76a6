# iprodwatch: `make help` lists the targets. `make demo` and `make test` are all a user needs.
GO        ?= go
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
SOAK_JOBS ?= 20000

.PHONY: help demo test soak conformance vet build emulate bench fuzz deploy clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

demo: ## run the function on its embedded default (emulators, sample jobs) and show what it does
	$(GO) run . demo

test: vet ## go vet, the whole suite under the race detector, then the 2,000-job chaos run without it
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^TestChaos$$' ./handler

soak: ## the long chaos and load runs: SOAK_JOBS jobs (default 20000) and 10,000 pending checks
	IPRODWATCH_SOAK_JOBS=$(SOAK_JOBS) $(GO) test -count=1 -timeout 60m -v -run '^(TestChaos|TestQPSUnderLoad)$$' ./handler

conformance: ## the emulators' conformance suites against your cloud account too (README, Emulators)
	CONFORMANCE=cloud $(GO) test -count=1 -v ./handler/mpstest ./handler/mnstest

vet: ## go vet ./...
	$(GO) vet ./...

build: ## build main (linux/amd64, as FC's go1 runtime runs it) and code.zip for deployment
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags iprodwatch.nodev -buildvcs=auto -trimpath -ldflags "-s -w" -o main .
	@rm -f code.zip
	$(GO) run ./handler/deploy/zipmain main code.zip

emulate: ## run the MPS and MNS emulators on 127.0.0.1 for local development
	$(GO) run . emulate

bench: ## run the benchmarks (BENCHTIME=1s)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

deploy: ## deploy with Serverless Devs: s deploy -y, whose pre-deploy action runs make build (once)
	@command -v s >/dev/null 2>&1 || { echo "make deploy needs Serverless Devs: npm install -g @serverless-devs/s, then s config add (see README, Deploy)"; exit 1; }
	s deploy -y

clean: ## remove build outputs
	rm -f main code.zip iprodwatch
