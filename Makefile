# carpathian-conform: `make run` checks the embedded reference server, `make test` proves the tool.
GO      ?= go
# One static build everywhere: the image needs it, and tests that build the binary then share
# the build cache with it instead of compiling the tree twice.
export CGO_ENABLED := 0
BIN     := bin/carpathian-conform
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/carpathian-ai/carpathian-conform/cmd.Version=$(VERSION)

.PHONY: run test build install image bench lint fuzz clean

run: build ## conformance run against the embedded reference server
	./$(BIN)

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/carpathian-conform

install: ## carpathian-conform into $(go env GOBIN), else $(go env GOPATH)/bin, with the version stamp
	$(GO) install -trimpath -ldflags "$(LDFLAGS)" ./cmd/carpathian-conform

IMAGE := bin/carpathian-conform.oci.tar

image: ## the container image as an OCI archive, built without a container engine (deploy/image)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/linux/carpathian-conform ./cmd/carpathian-conform
	$(GO) run ./deploy/image/mkimage -binary bin/linux/carpathian-conform -version $(VERSION) \
		-arch $$($(GO) env GOARCH) -ref carpathian-conform:$(VERSION) -o $(IMAGE)

MATRIX := out/mutation-matrix.txt

test: lint ## everything CI checks; stays well under 10 minutes
	@mkdir -p out && rm -f $(MATRIX)
	SELFTEST_MATRIX_FILE=$(CURDIR)/$(MATRIX) $(GO) test -count=1 -timeout 9m ./...
	@cat $(MATRIX)

lint:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

VEGETA := $(shell $(GO) env GOPATH)/bin/vegeta

bench: $(VEGETA) ## speed and memory goals, measured (see README "Performance")
	$(GO) test -run '^$$' -bench . -benchmem ./...

$(VEGETA): ## the vegeta CLI, the yardstick our load engine is benchmarked against
	$(GO) install github.com/tsenart/vegeta/v12@v12.13.0

fuzz: ## a short fuzz of each fuzz target: the base-URL normalizer, the judges' fast paths, table wrapping
	$(GO) test ./internal/target -run '^$$' -fuzz FuzzParseBaseURL -fuzztime 30s
	$(GO) test ./internal/judge -run '^$$' -fuzz FuzzReadCompletion -fuzztime 30s
	$(GO) test ./internal/judge -run '^$$' -fuzz FuzzReply -fuzztime 30s
	$(GO) test ./internal/judge -run '^$$' -fuzz FuzzReadModelsList -fuzztime 30s
	$(GO) test ./reports -run '^$$' -fuzz FuzzWrap -fuzztime 30s

clean:
	rm -rf bin
