# iprodwatch: `make help` lists the targets.
GO      ?= go
FUZZTIME ?= 30s
BENCHTIME ?= 1s

.PHONY: help build demo test vet bench fuzz

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the iprodwatch binary for this machine
	$(GO) build -trimpath -o iprodwatch .

demo: ## show the events iprodwatch makes of the sample responses in testdata/mps
	@$(GO) build -o /tmp/iprodwatch-demo . && for f in testdata/mps/*/*.json; do \
	  case $$f in */errors/*) continue;; esac; \
	  echo "== $$f"; /tmp/iprodwatch-demo parse -json -region cn-shanghai -account 1234567890123456 $$f; \
	done

vet: ## go vet ./...
	$(GO) vet ./...

test: vet ## go vet, then the whole suite under the race detector
	$(GO) test -race -count=1 ./...

bench: ## run the benchmarks (BENCHTIME=1s)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done
