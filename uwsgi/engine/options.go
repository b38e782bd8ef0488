package engine

import (
	"fmt"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// Options are the engine's settings, read once from the configuration.
type Options struct {
	Cores            int
	BufferSize       int
	MaxVars          int
	Backlog          int
	SocketTimeout    time.Duration
	HTTPTimeout      time.Duration
	LimitPost        int64
	ReloadMercy      time.Duration
	DisableLogging   bool
	LogFormat        string
	LogXForwardedFor bool
	MemoryReport     bool
	HTTPModifier1    int
	LogTo            string
	Sockets          SocketOptions
}

// readOptions extracts the engine's settings from cfg.
func readOptions(cfg *config.Config) (Options, error) {
	o := Options{
		Cores:            cfg.Int("goroutines"),
		BufferSize:       cfg.Int("buffer-size"),
		MaxVars:          cfg.Int("max-vars"),
		Backlog:          cfg.Int("listen"),
		SocketTimeout:    seconds(cfg.Int("socket-timeout")),
		HTTPTimeout:      seconds(cfg.Int("http-timeout")),
		LimitPost:        int64(cfg.Int("limit-post")),
		ReloadMercy:      seconds(cfg.Int("reload-mercy")),
		DisableLogging:   cfg.Bool("disable-logging"),
		LogFormat:        cfg.String("log-format"),
		LogXForwardedFor: cfg.Bool("log-x-forwarded-for"),
		MemoryReport:     cfg.Bool("memory-report"),
		HTTPModifier1:    cfg.Int("http-socket-modifier1"),
		LogTo:            cfg.String("logto"),
	}
	if o.Cores == 0 {
		o.Cores = cfg.Int("threads")
	}
	if o.Cores < 1 {
		o.Cores = 1
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 4096
	}
	if o.SocketTimeout <= 0 {
		o.SocketTimeout = 4 * time.Second
	}
	if o.HTTPTimeout <= 0 {
		o.HTTPTimeout = 60 * time.Second
	}
	if m := o.HTTPModifier1; m != 0 && m != 11 {
		return o, fmt.Errorf("uwsgi: --http-socket-modifier1 %d: uwsgo serves the Go app on modifier1 11 and 0 only", m)
	}
	o.Sockets = SocketOptions{
		Backlog:   o.Backlog,
		ChmodSet:  cfg.IsSet("chmod-socket"),
		Chmod:     cfg.String("chmod-socket"),
		Chown:     cfg.String("chown-socket"),
		ReusePort: cfg.Bool("reuse-port"),
		Abstract:  cfg.Bool("abstract-socket"),
	}
	return o, nil
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
