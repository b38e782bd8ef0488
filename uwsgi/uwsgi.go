package uwsgi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine"
	"github.com/valyala/fasthttp"
)

// Run serves http.DefaultServeMux as the configuration given on the command
// line, in UWSGI_* environment variables and in config files says. It never
// returns: the process exits when the server stops (status 0), or at once
// with status 1 and a message on stderr when the configuration is wrong.
func Run() { RunHandler(http.DefaultServeMux) }

// RunHandler is Run for any http.Handler, with options.
func RunHandler(h http.Handler, opts ...Option) {
	if h == nil {
		h = http.DefaultServeMux
	}
	app := engine.App{HTTP: h}
	for _, o := range opts {
		o(&app)
	}
	os.Exit(engine.Run(loadConfig(), app))
}

// An Option changes how RunHandler serves the handler.
type Option func(*engine.App)

// ReuseRequests is an opt-in speed trick: each *http.Request, its URL,
// Header map, Body and Context are reused for a later request once the
// handler returned, which saves allocations per request. The handler
// must then not keep any of them, nor leave a goroutine using them, past
// ServeHTTP (strings read from them stay valid). The --reuse-requests
// option does the same from the configuration.
func ReuseRequests() Option { return func(a *engine.App) { a.ReuseRequests = true } }

// RunFast is Run for a native fasthttp handler: requests reach it with no
// net/http bridge in between, the fastest way uwsgo serves.
func RunFast(h fasthttp.RequestHandler) {
	if h == nil {
		fmt.Fprintln(os.Stderr, "uwsgi: RunFast needs a handler")
		os.Exit(1)
	}
	os.Exit(engine.Run(loadConfig(), engine.App{Fast: h}))
}

var (
	configOnce sync.Once
	cfg        *config.Config
)

// loadConfig parses the process's configuration once; a bad one ends the
// process with status 1, --help and --version with status 0.
func loadConfig() *config.Config {
	configOnce.Do(func() {
		var err error
		cfg, err = config.Load(os.Args[1:], os.Environ())
		switch {
		case errors.Is(err, config.ErrHelp):
			config.WriteUsage(os.Stdout)
			os.Exit(0)
		case errors.Is(err, config.ErrVersion):
			fmt.Println(config.Version)
			os.Exit(0)
		case err != nil:
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	})
	return cfg
}

// Args returns the app's own arguments: the --go-args option split as a
// shell would split it (quotes group, backslash escapes). Without --go-args
// it returns nil. The process's os.Args hold uWSGI's options instead.
func Args() []string {
	return SplitArgs(loadConfig().String("go-args"))
}

// WorkerID is the id of the worker process running the caller: 1..N, 0 in
// the master; 1 in single-process mode.
func WorkerID() int {
	return engine.WorkerID(loadConfig())
}

// Vars returns the CGI/uwsgi variables of a request: as received on a
// --socket (nginx's uwsgi_params, a router's vars), or generated as uWSGI
// does for a request that came on an HTTP socket. The map is the caller's.
// A request that did not come through uwsgo gives nil.
func Vars(r *http.Request) map[string]string { return bridge.VarsOf(r) }

// SplitArgs splits s into words as a POSIX shell does, without expansions:
// blanks separate words, single quotes keep everything, double quotes keep
// all but backslash escapes, a backslash outside quotes escapes any byte.
func SplitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args
}

// ErrHarakiri is the cause of a request's context that harakiri cancelled
// (--harakiri): compare context.Cause(r.Context()) with it to tell a
// request past its deadline from a client that went away.
var ErrHarakiri = engine.ErrHarakiri

// SetHarakiri changes the harakiri deadline of the request r to seconds from
// now (0 disables it), as uWSGI's set_user_harakiri: a handler that knows it
// needs longer can say so. It reports false for a request uwsgo does not
// serve.
func SetHarakiri(r *http.Request, seconds int) bool {
	ctl := bridge.ControlOf(r)
	if ctl == nil {
		return false
	}
	return engine.SetHarakiri(ctl, time.Duration(seconds)*time.Second)
}
