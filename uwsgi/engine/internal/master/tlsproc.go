package master

import (
	"fmt"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/tlsconf"
)

// tlsMaster is the master's TLS material: the configuration and the memory
// file with the last good bundle, which every new worker inherits.
type tlsMaster struct {
	conf *tlsconf.TLSConf
	file *os.File
}

// loadTLSMaster reads and checks every certificate, key and CA file
// (before privileges are dropped, as uWSGI reads them); nil without
// HTTPS sockets. The error names the file.
func loadTLSMaster(cfg *config.Config, log *logger.Logger) (*tlsMaster, error) {
	conf, err := tlsconf.ReadTLSConf(cfg)
	if err != nil || !conf.Enabled() {
		return nil, err
	}
	f, err := checkedBundleFile(conf, log, true)
	if err != nil {
		return nil, err
	}
	return &tlsMaster{conf: conf, file: f}, nil
}

func checkedBundleFile(conf *tlsconf.TLSConf, log *logger.Logger, warn bool) (*os.File, error) {
	b, err := tlsconf.ReadTLSBundle(conf)
	if err != nil {
		return nil, err
	}
	if _, err := tlsconf.BuildTLSContexts(conf, b, nil, log, warn); err != nil {
		return nil, err
	}
	f, err := b.File()
	if err != nil {
		return nil, fmt.Errorf("uwsgi: TLS bundle: %v", err)
	}
	return f, nil
}

// reload re-reads the files for the next generation of workers. A file
// that no longer reads or parses is logged (once, for this reload) and the
// new workers get the previous bundle.
func (t *tlsMaster) reload(log *logger.Logger) {
	f, err := checkedBundleFile(t.conf, log, false)
	if err != nil {
		log.Printf("%v: the new workers keep the previous certificates", err)
		return
	}
	old := t.file
	t.file = f
	_ = old.Close()
}
