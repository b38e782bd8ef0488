package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// readSource reads a config file or an @(...) value: a path, or one of
// uWSGI's schemes. exec://CMD is the output of a shell command and fd://N
// what descriptor N holds. uWSGI's other schemes need its C runtime or the
// network (http://, data://, sym://, section://, call://, callint://,
// emperor://): they are refused with what to use instead.
func readSource(name string) ([]byte, error) {
	scheme, rest, ok := strings.Cut(name, "://")
	if !ok || strings.ContainsAny(scheme, "/.") {
		return readFileLimited(name)
	}
	switch scheme {
	case "exec":
		cmd := exec.Command("/bin/sh", "-c", rest)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("exec://%s: %v", rest, err)
		}
		return out, nil
	case "fd":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("fd://%s: not a file descriptor number", rest)
		}
		f := os.NewFile(uintptr(n), "fd://"+rest)
		if f == nil {
			return nil, fmt.Errorf("fd://%s: bad descriptor", rest)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(io.LimitReader(f, maxSource))
		return b.Bytes(), err
	case "sym", "section", "data":
		return nil, fmt.Errorf("%s://%s: a uwsgo binary embeds no config blobs (uWSGI links them into its C binary); use a file, exec:// or go:embed in the app", scheme, rest)
	case "http", "https":
		return nil, fmt.Errorf("%s: uwsgo does not fetch configuration over the network; download it first (exec://curl -s URL works)", name)
	case "call", "callint", "emperor":
		return nil, fmt.Errorf("%s://%s: needs uWSGI's C plugins or the Emperor, which uwsgo has not", scheme, rest)
	}
	return readFileLimited(name)
}

// maxSource bounds what a config file or an @(file) may hold (a config
// naming /dev/zero must fail, not eat the memory).
const maxSource = 8 << 20

func readFileLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, maxSource+1)); err != nil {
		return nil, err
	}
	if b.Len() > maxSource {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxSource>>20)
	}
	return b.Bytes(), nil
}

// readAt is the value of @(name): the file's content without its last
// newline, as uWSGI reads it.
func (p *parser) readAt(name string) (string, bool) {
	if v, ok := p.atCache[name]; ok {
		return v, true // a command runs once however often its value is used
	}
	b, err := readSource(name)
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("uwsgi: @(%s): %v", name, err)
		}
		return "", false
	}
	s := string(b)
	if n := len(s); n > 0 && (s[n-1] == '\n' || s[n-1] == '\r') {
		s = s[:n-1]
	}
	if p.atCache == nil {
		p.atCache = map[string]string{}
	}
	p.atCache[name] = s
	return s, true
}
