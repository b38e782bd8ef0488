// Package static serves files the way uWSGI's static-map, check-static and
// the static: routing action do: mount points to directories, index files,
// gzip siblings, Expires rules, Last-Modified/If-Modified-Since, Range and
// HEAD, and path traversal refused, symlinks out of the root included
// unless they land under a --static-safe directory.
package static

import (
	"errors"
	"fmt"
	"mime"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Config is the static options as given.
type Config struct {
	Maps    []string // --static-map MOUNT=DIR
	Maps2   []string // --static-map2 MOUNT=DIR (the whole path appended)
	Check   []string // --check-static DIR
	Index   []string // --static-index NAME
	SkipExt []string // --static-skip-ext .EXT
	Safe    []string // --static-safe DIR
	ExpType []string // --static-expires-type TYPE=SECONDS
	ExpURI  []string // --static-expires-uri REGEXP=SECONDS
	// The other Expires families; each has a -mtime twin (Expires is the
	// file's mtime + SECONDS, not now + SECONDS).
	ExpFile      []string // --static-expires REGEXP=SECONDS, on the file's path
	ExpFileMtime []string // --static-expires-mtime
	ExpPath      []string // --static-expires-path-info REGEXP=SECONDS, on PATH_INFO
	ExpPathMtime []string // --static-expires-path-info-mtime
	ExpURIMtime  []string // --static-expires-uri-mtime
	ExpTypeMtime []string // --static-expires-type-mtime
	GzipAll      bool     // --static-gzip-all
	GzipDirs     []string // --static-gzip-dir / --static-gzip-prefix: a prefix of the file's path
	GzipExts     []string // --static-gzip-ext / --static-gzip-suffix: a suffix of the file's path
	GzipRE       []string // --static-gzip REGEXP on the file's path
	MimeFiles    []string // --mimefile FILE
}

type mount struct {
	prefix, dir string
	root        atomic.Pointer[os.File] // the directory, opened once: files are opened beneath it
	whole       bool                    // static-map2: DIR + the whole path
}

// rootDir is the mount's directory, opened on first use when it did not
// exist at start (uWSGI starts with a missing static directory too: a
// collectstatic hook or a deploy may create it later).
func (m *mount) rootDir() *os.File {
	if r := m.root.Load(); r != nil {
		return r
	}
	r, err := os.Open(m.dir)
	if err != nil {
		return nil
	}
	if !m.root.CompareAndSwap(nil, r) {
		r.Close()
	}
	return m.root.Load()
}

// What an Expires rule matches, in the order uWSGI tries them.
const (
	onFile = iota
	onPath
	onURI
	onType
)

type expiry struct {
	on    int
	re    *regexp.Regexp
	mime  string
	secs  int
	mtime bool // from the file's mtime, not from now
}

// Server serves the configured mounts.
type Server struct {
	mounts   []*mount
	index    []string
	skip     []string
	safe     []string
	expires  []expiry
	gzipAll  bool
	gzipDirs []string
	gzipExts []string
	gzipRE   []*regexp.Regexp
	cache    *fdCache // open files by request path (cache.go)
}

// New compiles cfg; nil when nothing is configured.
func New(cfg Config) (*Server, error) {
	s := &Server{index: cfg.Index, skip: cfg.SkipExt, gzipAll: cfg.GzipAll, gzipExts: cfg.GzipExts, cache: newCache()}
	add := func(list []string, whole bool, opt string) error {
		for _, m := range list {
			prefix, dir, ok := strings.Cut(m, "=")
			if !ok || prefix == "" || dir == "" {
				return fmt.Errorf("invalid --%s %q: want MOUNTPOINT=DIRECTORY", opt, m)
			}
			m, err := newMount(prefix, dir, whole)
			if err != nil {
				return err
			}
			s.mounts = append(s.mounts, m)
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
		m, err := newMount("/", d, true)
		if err != nil {
			return nil, err
		}
		s.mounts = append(s.mounts, m)
	}
	for _, d := range cfg.Safe {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		s.safe = append(s.safe, resolve(abs))
	}
	for _, d := range cfg.GzipDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(d, "/") {
			abs += "/"
		}
		s.gzipDirs = append(s.gzipDirs, abs)
	}
	if err := s.addExpires(cfg); err != nil {
		return nil, err
	}
	for _, e := range cfg.GzipRE {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("invalid --static-gzip %q: %w", e, err)
		}
		s.gzipRE = append(s.gzipRE, re)
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

// addExpires compiles the Expires rules in uWSGI's order: the file's path,
// PATH_INFO, REQUEST_URI, then the content type; in each, the rules from
// now before the -mtime ones.
func (s *Server) addExpires(cfg Config) error {
	for _, fam := range []struct {
		list  []string
		opt   string
		on    int
		mtime bool
	}{
		{cfg.ExpFile, "static-expires", onFile, false}, {cfg.ExpFileMtime, "static-expires-mtime", onFile, true},
		{cfg.ExpPath, "static-expires-path-info", onPath, false}, {cfg.ExpPathMtime, "static-expires-path-info-mtime", onPath, true},
		{cfg.ExpURI, "static-expires-uri", onURI, false}, {cfg.ExpURIMtime, "static-expires-uri-mtime", onURI, true},
		{cfg.ExpType, "static-expires-type", onType, false}, {cfg.ExpTypeMtime, "static-expires-type-mtime", onType, true},
	} {
		for _, e := range fam.list {
			sep := byte(' ')
			if fam.on == onType {
				sep = '='
			}
			expr, secs, err := splitExpiry(e, fam.opt, sep)
			if err != nil {
				return err
			}
			x := expiry{on: fam.on, secs: secs, mtime: fam.mtime, mime: expr}
			if fam.on != onType {
				if x.re, err = regexp.Compile(expr); err != nil {
					return fmt.Errorf("invalid --%s %q: %w", fam.opt, e, err)
				}
			}
			s.expires = append(s.expires, x)
		}
	}
	return nil
}

// splitExpiry splits a rule as uWSGI does: TYPE=SECONDS for the type
// rules, REGEXP SECONDS (the first space) for the regexp ones.
func splitExpiry(e, opt string, sep byte) (string, int, error) {
	i := strings.IndexByte(e, sep)
	want := "TYPE=SECONDS"
	if sep == ' ' {
		want = "REGEXP SECONDS (separated by a space, as in uWSGI)"
	}
	var secs int
	if i <= 0 {
		return "", 0, fmt.Errorf("invalid --%s %q: want %s", opt, e, want)
	}
	if _, err := fmt.Sscanf(strings.TrimSpace(e[i+1:]), "%d", &secs); err != nil {
		return "", 0, fmt.Errorf("invalid --%s %q: want %s", opt, e, want)
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

func newMount(prefix, dir string, whole bool) (*mount, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	m := &mount{prefix: prefix, dir: abs, whole: whole}
	m.rootDir() // a missing directory is looked for again at each request
	return m, nil
}

// File is an opened static file: its descriptor, size and modification
// time, and the name its content type comes from (the .gz sibling is sent
// as name's content).
type File struct {
	fd    int // -1: none
	name  string
	gzip  bool
	size  int64
	mtime int64  // unix seconds
	e     *entry // the cache entry that owns fd, or nil: fd is the File's
}

var noFile = File{fd: -1}

// Found reports whether a file was opened.
func (f File) Found() bool { return f.fd >= 0 }

// openFile stats the open descriptor fd; ok is false (and fd closed) when
// it is not a regular file. dir reports a directory.
func openFile(fd int, name string) (f File, dir, ok bool) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return noFile, false, false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return File{fd: fd, name: name, size: st.Size, mtime: st.Mtim.Sec}, false, true
	case unix.S_IFDIR:
		dir = true
	}
	unix.Close(fd)
	return noFile, dir, false
}

// Open finds and opens the file a request path maps to (its .gz sibling
// when acceptGzip and the gzip options allow). The File is empty when no
// mount serves the path (the app does); forbidden when the file resolves
// out of its root and every --static-safe directory.
func (s *Server) Open(p string, acceptGzip bool) (file File, forbidden bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return noFile, true
	}
	c := s.cache
	if c == nil {
		return s.openPath(p, acceptGzip)
	}
	if e := c.lookup(p, acceptGzip); e != nil {
		if s.fresh(e, p, acceptGzip) {
			return e.handle(), false
		}
		c.drop(p, acceptGzip, e)
		e.release()
	}
	file, forbidden = s.openPath(p, acceptGzip)
	if file.Found() {
		file = c.add(p, acceptGzip, file)
	}
	return file, forbidden
}

// openPath opens the file p maps to, without the cache.
func (s *Server) openPath(p string, acceptGzip bool) (file File, forbidden bool) {
	for _, m := range s.mounts {
		if !strings.HasPrefix(p, m.prefix) {
			continue
		}
		rel := p
		if !m.whole {
			rel = p[len(m.prefix):]
		}
		// Clean with a leading slash never climbs above the root.
		rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
		if rel == "" {
			rel = "."
		}
		f, bad := s.open(m, rel, acceptGzip)
		if f.Found() || bad {
			return f, bad
		}
	}
	return noFile, false
}

// open opens rel (or, for a directory, its index file) under m.
func (s *Server) open(m *mount, rel string, acceptGzip bool) (File, bool) {
	fd, err := s.openChecked(m, rel)
	if err != nil {
		return noFile, errors.Is(err, errEscape)
	}
	file, dir, ok := openFile(fd, rel)
	if dir {
		for _, idx := range s.index {
			if g, bad := s.open(m, path.Join(rel, idx), acceptGzip); g.Found() || bad {
				return g, bad
			}
		}
	}
	if !ok {
		return noFile, false
	}
	for _, ext := range s.skip {
		if strings.HasSuffix(rel, ext) {
			file.Close()
			return noFile, false
		}
	}
	if acceptGzip && s.gzipWanted(filepath.Join(m.dir, rel)) {
		if gfd, err := s.openChecked(m, rel+".gz"); err == nil {
			if gz, _, ok := openFile(gfd, rel); ok {
				file.Close()
				gz.gzip = true
				return gz, false
			}
		}
	}
	return file, false
}

// Close closes the file's descriptor, or gives a cached one back (Serve
// does it).
func (f File) Close() {
	switch {
	case f.e != nil:
		f.e.release()
	case f.fd >= 0:
		unix.Close(f.fd)
	}
}

// openChecked opens beneath the root; a path that escapes it through a
// symlink is still served when it lands under a --static-safe directory.
func (s *Server) openChecked(m *mount, rel string) (int, error) {
	root := m.rootDir()
	if root == nil {
		return -1, os.ErrNotExist
	}
	fd, err := openBeneath(root, rel)
	if !errors.Is(err, errEscape) || len(s.safe) == 0 {
		return fd, err
	}
	real, rerr := filepath.EvalSymlinks(filepath.Join(m.dir, rel))
	if rerr != nil {
		return -1, err
	}
	for _, d := range s.safe {
		if within(real, d) {
			return openFD(real)
		}
	}
	return -1, err
}

// expiresFor returns the Expires time of the first matching rule (uWSGI
// sends one header per family that matches; uwsgo sends the first one).
func (s *Server) expiresFor(file, path, uri, ctype string, mtime int64) (time.Time, bool) {
	for _, e := range s.expires {
		var hit bool
		switch e.on {
		case onFile:
			hit = e.re.MatchString(file)
		case onPath:
			hit = e.re.MatchString(path)
		case onURI:
			hit = e.re.MatchString(uri)
		default:
			hit = strings.HasPrefix(ctype, e.mime)
		}
		if hit {
			from := time.Now()
			if e.mtime {
				from = time.Unix(mtime, 0)
			}
			return from.Add(time.Duration(e.secs) * time.Second), true
		}
	}
	return time.Time{}, false
}
