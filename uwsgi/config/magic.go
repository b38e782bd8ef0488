package config

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// magic holds the magic variables of one config file (%d, %n, ...).
type magic struct {
	vars map[byte]string
}

var startTime = time.Now()

func newMagic(spec, path, section string) *magic {
	abs, _ := filepath.Abs(path)
	dir := filepath.Dir(abs)
	base := filepath.Base(abs)
	ext := filepath.Ext(base)
	wd, _ := os.Getwd()
	host, _ := os.Hostname()
	exe, _ := os.Executable()
	m := &magic{vars: map[byte]string{
		'v': wd, 'h': host, 'o': spec, 'p': abs, 's': base, 'd': dir + "/", 'e': strings.TrimPrefix(ext, "."),
		'n': strings.TrimSuffix(base, ext), 'c': filepath.Base(dir), 'x': section,
		't': strconv.FormatInt(startTime.Unix(), 10), 'T': strconv.FormatInt(startTime.UnixMicro(), 10),
		'V': Version, 'k': strconv.Itoa(runtime.NumCPU()), 'b': exe, '[': "\x1b",
		'u': strconv.Itoa(os.Getuid()), 'g': strconv.Itoa(os.Getgid()), 'j': fmt.Sprintf("%x", djb33x(abs)),
	}}
	if u, err := user.Current(); err == nil {
		m.vars['U'] = u.Username
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			m.vars['G'] = g.Name
		}
	}
	if fi, err := os.Stat(abs); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			m.vars['i'] = strconv.FormatUint(st.Ino, 10)
		}
	}
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	for i := 0; i < 10 && i < len(parts); i++ {
		m.vars[byte('0'+i)] = parts[i]
	}
	return m
}

// djb33x is uWSGI's hash for %j.
func djb33x(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = (h*33 ^ uint32(s[i]))
	}
	return h
}

// upperOf maps the first-file variables (%O, %D, ...) to their letter.
var upperOf = map[byte]byte{'O': 'o', 'D': 'd', 'S': 's', 'P': 'p', 'C': 'c', 'E': 'e', 'N': 'n', 'X': 'x', 'I': 'i', 'J': 'j'}

// substitute replaces the magic variables in a file's text: %% is %, %( is
// kept for placeholders, an unknown %<char> is removed, as uWSGI does.
func (m *magic) substitute(text string, first *magic) string {
	if !strings.Contains(text, "%") {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '%' || i+1 >= len(text) {
			b.WriteByte(c)
			continue
		}
		n := text[i+1]
		switch {
		case n == '%':
			b.WriteByte('%')
		case n == '(':
			b.WriteString("%(")
		case upperOf[n] != 0:
			b.WriteString(first.vars[upperOf[n]])
		default:
			b.WriteString(m.vars[n])
		}
		i++
	}
	return b.String()
}
