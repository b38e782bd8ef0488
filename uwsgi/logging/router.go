package logging

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dlclark/regexp2"
	"strings"
	"sync"
)

// Config is the logging options as given.
type Config struct {
	Loggers, ReqLoggers   []string // "[name ]plugin[:args]"
	Routes, ReqRoutes     []string // "name regexp"
	Encoders, ReqEncoders []string // "encoder[:logger][ args]"
	MaxSize               int64    // --log-maxsize, for file loggers
}

// Enabled reports whether any option asks for the logging router.
func (c Config) Enabled() bool {
	return len(c.Loggers)+len(c.ReqLoggers)+len(c.Routes)+len(c.ReqRoutes)+len(c.Encoders)+len(c.ReqEncoders) > 0
}

type logger struct {
	name string
	sink Sink
}

// route patterns are PCRE-like (lookaround included), as uWSGI's: the
// configs people publish use ^((?!word).)*$ to route "everything else".
type route struct {
	re     *regexp2.Regexp
	logger *logger
}

type chain struct {
	loggers  []*logger
	routes   []route
	encoders []*Encoder
}

// Router sends each line to its loggers as uWSGI's master does: lines a
// log-route matches go to that route's logger only; the others go to every
// unnamed logger, or to the raw log when there is none. Encoders run in
// order on each line, those naming a logger only for that logger.
type Router struct {
	mu      sync.Mutex
	raw     Sink
	server  chain
	request *chain // nil: request lines are server lines
	a, b    []byte
}

// New builds a router; raw is the log used when no logger takes a line.
func New(c Config, raw Sink) (*Router, error) {
	r := &Router{raw: raw}
	var err error
	if r.server, err = buildChain(c.Loggers, c.Routes, c.Encoders, c.MaxSize); err != nil {
		return nil, err
	}
	if len(c.ReqLoggers) > 0 {
		rc, err := buildChain(c.ReqLoggers, c.ReqRoutes, c.ReqEncoders, c.MaxSize)
		if err != nil {
			r.server.close()
			return nil, err
		}
		r.request = &rc
	}
	return r, nil
}

func buildChain(loggers, routes, encoders []string, maxSize int64) (chain, error) {
	var ch chain
	byName := map[string]*logger{}
	for _, spec := range loggers {
		name, target := splitLogger(spec)
		sink, err := OpenSink(target, maxSize)
		if err != nil {
			ch.close()
			return ch, err
		}
		l := &logger{name: name, sink: sink}
		ch.loggers = append(ch.loggers, l)
		if name != "" {
			byName[name] = l
		}
	}
	for _, spec := range routes {
		name, expr, ok := strings.Cut(strings.TrimSpace(spec), " ")
		l := byName[name]
		if !ok || l == nil {
			ch.close()
			return ch, fmt.Errorf("log route %q: want \"LOGGER REGEXP\" naming a --logger", spec)
		}
		re, err := regexp2.Compile(strings.TrimSpace(expr), regexp2.RE2)
		if err != nil {
			ch.close()
			return ch, fmt.Errorf("log route %q: %w", spec, err)
		}
		ch.routes = append(ch.routes, route{re: re, logger: l})
	}
	for _, spec := range encoders {
		e, err := ParseEncoder(spec)
		if err != nil {
			ch.close()
			return ch, err
		}
		ch.encoders = append(ch.encoders, e)
	}
	return ch, nil
}

// splitLogger reads "[name ]plugin[:args]".
func splitLogger(spec string) (name, target string) {
	spec = strings.TrimSpace(spec)
	head, rest, ok := strings.Cut(spec, " ")
	if ok && !strings.Contains(head, ":") && strings.TrimSpace(rest) != "" {
		return head, strings.TrimSpace(rest)
	}
	return "", spec
}

func (ch *chain) close() error {
	var errs []error
	for _, l := range ch.loggers {
		errs = append(errs, l.sink.Close())
	}
	return errors.Join(errs...)
}

// Server routes one server line (with its newline).
func (r *Router) Server(line []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dispatch(&r.server, line)
}

// Request routes one request log line; without --req-logger it is a server
// line, as in uWSGI.
func (r *Router) Request(line []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.request == nil {
		return r.dispatch(&r.server, line)
	}
	return r.dispatch(r.request, line)
}

func (r *Router) dispatch(ch *chain, line []byte) error {
	var errs []error
	routed := false
	for _, rt := range ch.routes {
		if ok, _ := rt.re.MatchString(string(bytes.TrimSuffix(line, []byte("\n")))); ok {
			errs = append(errs, r.emit(ch, rt.logger, line))
			routed = true
		}
	}
	if routed {
		return errors.Join(errs...)
	}
	unnamed := false
	for _, l := range ch.loggers {
		if l.name == "" {
			errs = append(errs, r.emit(ch, l, line))
			unnamed = true
		}
	}
	if !unnamed {
		errs = append(errs, r.emit(ch, nil, line))
	}
	return errors.Join(errs...)
}

// emit encodes line for l (nil: the raw log) and writes it.
func (r *Router) emit(ch *chain, l *logger, line []byte) error {
	msg := line
	for _, e := range ch.encoders {
		if e.Logger != "" && (l == nil || l.name != e.Logger) {
			continue
		}
		r.a = e.apply(r.a[:0], msg)
		r.a, r.b = r.b, r.a
		msg = r.b
	}
	if l == nil {
		return r.raw.Write(msg)
	}
	return l.sink.Write(msg)
}

// Reopen reopens every file logger and the raw log (logrotate).
func (r *Router) Reopen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := []error{r.raw.Reopen()}
	for _, ch := range []*chain{&r.server, r.request} {
		if ch != nil {
			for _, l := range ch.loggers {
				errs = append(errs, l.sink.Reopen())
			}
		}
	}
	return errors.Join(errs...)
}

// Close closes the loggers (not the raw log).
func (r *Router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.server.close()
	if r.request != nil {
		err = errors.Join(err, r.request.close())
	}
	return err
}

// HasRequestLoggers reports whether request lines have loggers of their own.
func (r *Router) HasRequestLoggers() bool { return r.request != nil }

// WriterSink wraps an *os.File-like writer as a Sink that cannot reopen.
func WriterSink(w interface{ Write([]byte) (int, error) }) Sink { return plainSink{w} }

type plainSink struct {
	w interface{ Write([]byte) (int, error) }
}

func (p plainSink) Write(b []byte) error { _, err := p.w.Write(b); return err }
func (plainSink) Reopen() error          { return nil }
func (plainSink) Close() error           { return nil }
