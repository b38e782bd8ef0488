package engine

import (
	"fmt"
	"os"
	"strconv"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"golang.org/x/sys/unix"
)

// envTLS names the descriptor of the TLS bundle a worker inherits.
const envTLS = "UWSGO_TLS"

// tlsMaster is the master's TLS material: the configuration and the memory
// file with the last good bundle, which every new worker inherits.
type tlsMaster struct {
	conf *tlsConf
	file *os.File
}

// loadTLSMaster reads and checks every certificate, key and CA file
// (before privileges are dropped, as uWSGI reads them); nil without
// HTTPS sockets. The error names the file.
func loadTLSMaster(cfg *config.Config, log *Logger) (*tlsMaster, error) {
	conf, err := readTLSConf(cfg)
	if err != nil || !conf.enabled() {
		return nil, err
	}
	f, err := checkedBundleFile(conf, log, true)
	if err != nil {
		return nil, err
	}
	return &tlsMaster{conf: conf, file: f}, nil
}

func checkedBundleFile(conf *tlsConf, log *Logger, warn bool) (*os.File, error) {
	b, err := readTLSBundle(conf)
	if err != nil {
		return nil, err
	}
	if _, err := buildTLSContexts(conf, b, nil, log, warn); err != nil {
		return nil, err
	}
	f, err := b.file()
	if err != nil {
		return nil, fmt.Errorf("uwsgi: TLS bundle: %v", err)
	}
	return f, nil
}

// reload re-reads the files for the next generation of workers. A file
// that no longer reads or parses is logged (once, for this reload) and the
// new workers get the previous bundle.
func (t *tlsMaster) reload(log *Logger) {
	f, err := checkedBundleFile(t.conf, log, false)
	if err != nil {
		log.Printf("%v: the new workers keep the previous certificates", err)
		return
	}
	old := t.file
	t.file = f
	_ = old.Close()
}

// processTLS makes this process's TLS contexts: from the master's bundle
// in a worker, from the files in a single process. nil without HTTPS sockets.
func processTLS(cfg *config.Config, opts Options, app App, log *Logger) (*tlsContexts, error) {
	conf, err := readTLSConf(cfg)
	if err != nil || !conf.enabled() {
		return nil, err
	}
	var b tlsBundle
	warn := true
	if v := os.Getenv(envTLS); v != "" {
		fd, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: bad %s=%q", envTLS, v)
		}
		f := os.NewFile(uintptr(fd), "tls")
		b, err = bundleFromFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("uwsgi: %v", err)
		}
		warn = false // the master warned
	} else if b, err = readTLSBundle(conf); err != nil {
		return nil, err
	}
	return buildTLSContexts(conf, b, alpnProtocols(cfg, opts, app), log, warn)
}

// alpnProtocols are the protocols HTTPS sockets offer through ALPN: h2
// first for a net/http app, unless internal routing or static files are
// configured (they run on fasthttp's request only, and a rule must not be
// skipped because a client chose HTTP/2: those instances stay on
// HTTP/1.1, see docs/tls.md).
func alpnProtocols(cfg *config.Config, opts Options, app App) []string {
	if app.Fast != nil || app.HTTP == nil {
		return []string{"http/1.1"}
	}
	chains, err := compileChains(cfg)
	if err != nil || chains.request != nil || chains.response != nil || chains.errors != nil || chains.final != nil {
		return []string{"http/1.1"}
	}
	if st, err := static.New(opts.Static); err != nil || st != nil {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}

// adoptTLS takes over the bundle of the previous master image (a binary
// upgrade keeps the certificates the workers run with).
func (m *master) adoptTLS(field string) error {
	conf, err := readTLSConf(m.cfg)
	if err != nil || !conf.enabled() {
		return err
	}
	fds := splitInts(field)
	if len(fds) != 1 { // HTTPS sockets new in this image's configuration
		m.tls, err = loadTLSMaster(m.cfg, m.log)
		return err
	}
	unix.CloseOnExec(fds[0])
	m.tls = &tlsMaster{conf: conf, file: os.NewFile(uintptr(fds[0]), "tls")}
	return nil
}
