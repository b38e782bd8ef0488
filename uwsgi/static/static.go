// Package static serves files the way uWSGI's static-map, check-static and
// the static: routing action do: mount points to directories, index files,
// gzip siblings, Expires rules, Last-Modified/If-Modified-Since, Range and
// HEAD, and path traversal refused, symlinks out of the root included
// unless they land under a --static-safe directory.
package static

import (
	"fmt"
	"mime"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config is the static options as given.
type Config struct {
	Maps      []string // --static-map MOUNT=DIR
	Maps2     []string // --static-map2 MOUNT=DIR (the whole path appended)
	Check     []string // --check-static DIR
	Index     []string // --static-index NAME
	SkipExt   []string // --static-skip-ext .EXT
	Safe      []string // --static-safe DIR
	ExpType   []string // --static-expires-type TYPE=SECONDS
	ExpURI    []string // --static-expires-uri REGEXP=SECONDS
	GzipAll   bool     // --static-gzip-all
	GzipDirs  []string // --static-gzip-dir DIR
	GzipExts  []string // --static-gzip-ext EXT
	MimeFiles []string // --mimefile FILE
}

type mount struct {
	prefix, dir string
	whole       bool // static-map2: DIR + the whole path
}

type expiry struct {
	re   *regexp.Regexp
	mime string
	secs int
}

// Server serves the configured mounts.
type Server struct {
	mounts   []mount
	index    []string
	skip     []string
	safe     []string
	expires  []expiry
	gzipAll  bool
	gzipDirs []string
	gzipExts []string
}

// New compiles cfg; nil when nothing is configured.
func New(cfg Config) (*Server, error) {
	s := &Server{index: cfg.Index, skip: cfg.SkipExt, gzipAll: cfg.GzipAll, gzipExts: cfg.GzipExts}
	add := func(list []string, whole bool, opt string) error {
		for _, m := range list {
			prefix, dir, ok := strings.Cut(m, "=")
			if !ok || prefix == "" || dir == "" {
				return fmt.Errorf("invalid --%s %q: want MOUNTPOINT=DIRECTORY", opt, m)
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			s.mounts = append(s.mounts, mount{prefix: prefix, dir: abs, whole: whole})
		}
		return nil
	}
	if err := add(cfg.Maps, false, "static-map"); err != nil {
		return nil, err
	}
	if err := add(cfg.Maps2, true, "static-map2"); err != nil {
		return nil, err
	}
	for _, d := range cfg.Check {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		s.mounts = append(s.mounts, mount{prefix: "/", dir: abs, whole: true})
	}
	for _, d := range append(append([]string{}, cfg.Safe...), cfg.GzipDirs...) {
		if _, err := filepath.Abs(d); err != nil {
			return nil, err
		}
	}
	for _, d := range cfg.Safe {
		abs, _ := filepath.Abs(d)
		s.safe = append(s.safe, resolve(abs))
	}
	for _, d := range cfg.GzipDirs {
		abs, _ := filepath.Abs(d)
		s.gzipDirs = append(s.gzipDirs, abs)
	}
	for _, e := range cfg.ExpType {
		t, secs, err := splitExpiry(e, "static-expires-type")
		if err != nil {
			return nil, err
		}
		s.expires = append(s.expires, expiry{mime: t, secs: secs})
	}
	for _, e := range cfg.ExpURI {
		expr, secs, err := splitExpiry(e, "static-expires-uri")
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("invalid --static-expires-uri %q: %w", e, err)
		}
		s.expires = append(s.expires, expiry{re: re, secs: secs})
	}
	for _, f := range cfg.MimeFiles {
		if err := LoadMimeFile(f); err != nil {
			return nil, err
		}
	}
	if len(s.mounts) == 0 {
		return nil, nil
	}
	return s, nil
}

func splitExpiry(e, opt string) (string, int, error) {
	i := strings.LastIndexByte(e, '=')
	var secs int
	if i <= 0 {
		return "", 0, fmt.Errorf("invalid --%s %q: want X=SECONDS", opt, e)
	}
	if _, err := fmt.Sscanf(e[i+1:], "%d", &secs); err != nil {
		return "", 0, fmt.Errorf("invalid --%s %q: want X=SECONDS", opt, e)
	}
	return e[:i], secs, nil
}

// LoadMimeFile adds the types of a mime.types-style file ("type ext ext").
func LoadMimeFile(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("mimefile: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		for _, ext := range f[1:] {
			_ = mime.AddExtensionType("."+ext, f[0])
		}
	}
	return nil
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// Lookup finds the file a request path maps to: "" when no mount serves
// it (the app does), and forbidden when the file exists but resolves out
// of its root and every --static-safe directory.
func (s *Server) Lookup(p string) (file string, forbidden bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", true
	}
	for _, m := range s.mounts {
		if !strings.HasPrefix(p, m.prefix) {
			continue
		}
		rel := p
		if !m.whole {
			rel = p[len(m.prefix):]
		}
		// Clean with a leading slash never climbs above the root.
		cand := filepath.Join(m.dir, filepath.FromSlash(path.Clean("/"+rel)))
		if f, bad := s.pick(m.dir, cand); f != "" || bad {
			return f, bad
		}
	}
	return "", false
}

// pick checks a candidate (or its index files) under root.
func (s *Server) pick(root, cand string) (string, bool) {
	st, err := os.Stat(cand)
	if err != nil {
		return "", false
	}
	if st.IsDir() {
		for _, idx := range s.index {
			f := filepath.Join(cand, idx)
			if st2, err := os.Stat(f); err == nil && st2.Mode().IsRegular() {
				return s.allowed(root, f)
			}
		}
		return "", false
	}
	if !st.Mode().IsRegular() {
		return "", false
	}
	for _, ext := range s.skip {
		if strings.HasSuffix(cand, ext) {
			return "", false
		}
	}
	return s.allowed(root, cand)
}

func (s *Server) allowed(root, f string) (string, bool) {
	real, rroot := resolve(f), resolve(root)
	if within(real, rroot) {
		return f, false
	}
	for _, d := range s.safe {
		if within(real, d) {
			return f, false
		}
	}
	return "", true
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// expiresFor returns the seconds of the first matching Expires rule, or -1.
func (s *Server) expiresFor(ctype, uri string) int {
	for _, e := range s.expires {
		if (e.re != nil && e.re.MatchString(uri)) || (e.re == nil && strings.HasPrefix(ctype, e.mime)) {
			return e.secs
		}
	}
	return -1
}

// httpDate formats t as an HTTP date.
func httpDate(t time.Time) string { return t.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT") }
