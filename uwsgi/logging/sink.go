// Package logging is uWSGI's pluggable logging: loggers (--logger,
// --req-logger), log routing by regular expression (--log-route,
// --log-req-route) and encoders (--log-encoder, --log-req-encoder). The
// engine's master feeds it every line its workers, daemons and hooks
// write, so that one process owns the files (rotation and reopening stay
// correct); it knows nothing of processes itself.
package logging

import (
	"fmt"
	"log/syslog"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Sink is where a logger writes its lines.
type Sink interface {
	Write(p []byte) error
	Reopen() error // for logrotate: reopen a file by its name
	Close() error
}

// OpenSink opens a logger's destination from uWSGI's "plugin[:args]":
// file:PATH, stdio, syslog[:ident[,facility]], socket:ADDR (UDP host:port
// or a unix datagram socket path).
func OpenSink(spec string, maxSize int64) (Sink, error) {
	plugin, arg, _ := strings.Cut(spec, ":")
	switch plugin {
	case "file":
		if arg == "" {
			return nil, fmt.Errorf("logger %q: file needs a path", spec)
		}
		return OpenFile(arg, maxSize)
	case "stdio":
		return writerSink{os.Stderr}, nil
	case "syslog", "rsyslog":
		return openSyslog(arg)
	case "socket", "udp":
		return openSocket(arg)
	}
	return nil, fmt.Errorf("logger %q: unknown logger plugin %q (file, stdio, syslog, socket)", spec, plugin)
}

type writerSink struct{ f *os.File }

func (w writerSink) Write(p []byte) error { _, err := w.f.Write(p); return err }
func (writerSink) Reopen() error          { return nil }
func (writerSink) Close() error           { return nil }

// FileSink appends to a file; with a maximum size it rotates the file when
// it grows past it (renamed PATH.UNIXTIME, as uWSGI's --log-maxsize).
type FileSink struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	size    int64
	maxSize int64
}

// OpenFile opens path for appending.
func OpenFile(path string, maxSize int64) (*FileSink, error) {
	s := &FileSink{path: path, maxSize: maxSize}
	return s, s.open()
}

func (s *FileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("unable to open log file %s: %w", s.path, err)
	}
	st, _ := f.Stat()
	s.f, s.size = f, 0
	if st != nil {
		s.size = st.Size()
	}
	return nil
}

// File is the open file (to hand to a child process).
func (s *FileSink) File() *os.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

// Write implements Sink.
func (s *FileSink) Write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err == nil && s.maxSize > 0 && s.size >= s.maxSize {
		err = s.rotateLocked()
	}
	return err
}

func (s *FileSink) rotateLocked() error {
	backup := fmt.Sprintf("%s.%d", s.path, time.Now().Unix())
	for i := 1; fileExists(backup); i++ {
		backup = fmt.Sprintf("%s.%d.%d", s.path, time.Now().Unix(), i)
	}
	if err := os.Rename(s.path, backup); err != nil {
		return err
	}
	old := s.f
	if err := s.open(); err != nil {
		s.f = old
		return err
	}
	return old.Close()
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Reopen implements Sink.
func (s *FileSink) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.f
	if err := s.open(); err != nil {
		s.f = old
		return err
	}
	return old.Close()
}

// Close implements Sink.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

type syslogSink struct{ w *syslog.Writer }

var facilities = map[string]syslog.Priority{"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL,
	"daemon": syslog.LOG_DAEMON, "auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG, "local0": syslog.LOG_LOCAL0,
	"local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4,
	"local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7}

func openSyslog(arg string) (Sink, error) {
	ident, fac, _ := strings.Cut(arg, ",")
	if ident == "" {
		ident = "uwsgi"
	}
	prio := syslog.LOG_USER
	if fac != "" {
		p, ok := facilities[fac]
		if !ok {
			return nil, fmt.Errorf("syslog logger: unknown facility %q", fac)
		}
		prio = p
	}
	w, err := syslog.New(prio|syslog.LOG_INFO, ident)
	if err != nil {
		return nil, fmt.Errorf("syslog logger: %w", err)
	}
	return syslogSink{w}, nil
}

func (s syslogSink) Write(p []byte) error { _, err := s.w.Write(p); return err }
func (syslogSink) Reopen() error          { return nil }
func (s syslogSink) Close() error         { return s.w.Close() }

type socketSink struct{ c net.Conn }

func openSocket(addr string) (Sink, error) {
	network := "udp"
	if !strings.Contains(addr, ":") {
		network = "unixgram"
	}
	c, err := net.Dial(network, addr)
	if err != nil {
		return nil, fmt.Errorf("socket logger %s: %w", addr, err)
	}
	return socketSink{c}, nil
}

func (s socketSink) Write(p []byte) error { _, err := s.c.Write(p); return err }
func (socketSink) Reopen() error          { return nil }
func (s socketSink) Close() error         { return s.c.Close() }
