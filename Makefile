# uwsgo — the two set-up commands a newcomer runs are `make run` and `make test`.
GO      ?= go
BIN     := bin
PORT    ?= 9090

.PHONY: run build test vet fmt bench soak docs fuzz clean

run: build
	./$(BIN)/hello --http-socket :$(PORT) --goroutines 100

# A static binary: with cgo on, Go links libc for net's resolver and os/user.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/hello ./examples/hello

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...
	cd tests/compat && $(GO) vet ./...

# Unit, fuzz-seed and process tests (nginx, uWSGI and wrk tests skip with a
# message where the peer is not installed; CI installs them all). The
# net/http compatibility tests (gin, chi, echo, websockets) are a module of
# their own, tests/compat, so the library's users don't inherit its deps.
test: vet
	$(GO) test -count=1 -run 'Alloc' ./uwsgi/bridge/ ./uwsgi/proto/ ./uwsgi/reqlog/ ./uwsgi/routing/ ./uwsgi/engine/... ./uwsgi/static/
	$(GO) test -race -count=1 -timeout 15m ./...
	cd tests/compat && $(GO) test -race -count=1 -timeout 15m ./...
	./scripts/fuzz.sh 20000x

# Longer fuzzing of every parser (make test runs 20000 inputs per target).
# Budgets are counts, not durations: Go 1.26's fuzz coordinator can fail a
# duration run at its deadline with "context deadline exceeded" (go.dev/issue/75804).
fuzz:
	./scripts/fuzz.sh 1000000x

bench: build
	./scripts/bench.sh

soak:
	UWSGO_SOAK=1 $(GO) test -count=1 -v -run TestSoak -timeout 30m ./tests/e2e/

docs:
	$(GO) generate ./uwsgi/config

clean:
	rm -rf $(BIN)
