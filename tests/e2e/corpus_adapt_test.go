package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// listener is one address an adapted config listens on.
type listener struct {
	network, addr string
	http          bool // speaks HTTP (http-socket, http, or protocol = http)
}

// adapter rewrites a published config so it can run here, under uwsgo and
// real uWSGI alike: every listener moves to a fresh 127.0.0.1 port (or a
// socket in the test's directory), privilege switches, daemonizing, logs to
// files and the Python app options go, paths that would be written move to
// the test's directory, and everything that would run a command, reach
// another host or change the machine (hooks, daemons, cron, mounts, jails,
// subscriptions, stats pushers, @(exec://)) is removed.
type adapter struct {
	t         *testing.T
	dir       string
	listeners []listener
	httpProto bool
	n         int
}

// dropped are the keys removed outright.
var dropped = regexp.MustCompile(`^(uid|gid|daemonize2?|chown-socket|logto2?|plugins?|plugins-dir|plugin-dir|need-plugins?|` +
	`chroot|pivot-root|emperor.*|vassal.*|subscribe.*|subscription.*|carbon.*|stats-push.*|mules?|farm|attach-.*|smart-attach-.*|` +
	`module|wsgi-file|wsgi|file|callable|mount|worker-mount|pythonpath|python-path|pp|home|virtualenv|venv|pyhome|app|eval|pypy-.*|` +
	`legion.*|exec-.*|hook-.*|cron2?|unique-cron|call-.*|mount-.*|umount-.*|unshare.*|jail.*|cgroup.*|namespace.*|setns.*|` +
	`refork.*|cap|spooler.*|touch-exec|log-syslog|alarm.*|log-alarm|zerg.*|fastrouter.*|rawrouter.*|` +
	`sslrouter.*|worker-exec2?|privileged-binary-patch.*|unprivileged-binary-patch.*|stop|reload|dlopen|pam.*|snmp.*|` +
	`wait-for-.*|cheaper-rss-limit.*|ssl-.*|sni.*|https?-to|udp|multicast.*|rrdtool.*|metrics-dir.*)$`)

// pathKeys are written by the servers: they move into the test's directory.
var pathKeys = map[string]bool{"pidfile": true, "pidfile2": true, "safe-pidfile": true, "safe-pidfile2": true, "touch-reload": true,
	"touch-chain-reload": true, "touch-logreopen": true, "touch-workers-reload": true, "master-fifo": true, "cache-store": true}

// listenerKeys name addresses.
var listenerKeys = map[string]bool{"socket": true, "uwsgi-socket": true, "http-socket": true, "http": true, "http11-socket": true,
	"https": true, "https-socket": true, "fastcgi-socket": true, "scgi-socket": true, "raw-socket": true, "suwsgi-socket": true,
	"ssl-socket": true, "shared-socket": true, "puwsgi-socket": true, "stats": true, "stats-server": true, "s": true}

// rewrite adapts one key = value: ok is false to drop it.
func (a *adapter) rewrite(key, val string) (string, bool) {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(key), "_", "-"))
	v := strings.TrimSpace(val)
	if strings.Contains(v, "exec://") || strings.Contains(v, "sym://") || strings.Contains(v, "http://") {
		return "", false
	}
	if o, ok := config.Lookup(k); ok && o.Plugin == "python" {
		return "", false
	}
	switch {
	case strings.HasPrefix(k, "hook-") && (strings.HasPrefix(v, "unix_signal:") || strings.HasPrefix(v, "print:")):
		return val, true // harmless hooks stay
	case dropped.MatchString(k):
		return "", false
	case k == "logger" || k == "req-logger" || k == "logger-req":
		if strings.Contains(v, "socket:") || strings.Contains(v, "syslog") || strings.ContainsAny(v, "@") || strings.Contains(v, "redis") ||
			strings.Contains(v, "zeromq") || strings.Contains(v, "mongodb") || strings.Contains(v, "crypto") {
			return "", false // loggers that reach another host or service
		}
		if i := strings.Index(v, "file:"); i >= 0 {
			return v[:i] + "file:" + filepath.Join(a.dir, "w", filepath.Base(v[i+5:])), true
		}
	case k == "protocol" && strings.HasPrefix(v, "http"):
		a.httpProto = true
	case listenerKeys[k]:
		return a.listen(k, v), true
	case pathKeys[k]:
		return filepath.Join(a.dir, "w", filepath.Base(strings.TrimRight(v, "/"))), true
	case k == "chdir" || k == "chdir2":
		return a.dir, true
	case k == "processes" || k == "workers" || k == "p":
		if n, err := strconv.Atoi(v); err == nil && n > 4 {
			return "4", true // keep the machine usable: both servers start at most 4 workers
		}
	case k == "cheaper":
		if n, err := strconv.Atoi(v); err == nil && n > 3 {
			return "3", true
		}
	case k == "cheaper-initial":
		if n, err := strconv.Atoi(v); err == nil && n > 4 {
			return "4", true
		}
	}
	return val, true
}

// listen gives a listener a fresh local address, keeping what follows the
// address (https certificates, ",modifier").
func (a *adapter) listen(k, v string) string {
	addr, rest, _ := strings.Cut(v, ",")
	if rest != "" {
		rest = "," + rest
	}
	a.n++
	var l listener
	if strings.Contains(addr, ":") && !strings.Contains(addr, "/") || addr == "" || strings.HasPrefix(addr, "=") {
		l = listener{network: "tcp", addr: fmt.Sprintf("127.0.0.1:%d", freePort(a.t))}
	} else {
		l = listener{network: "unix", addr: filepath.Join(a.dir, fmt.Sprintf("s%d.sock", a.n))}
	}
	l.http = strings.HasPrefix(k, "http")
	if k != "stats" && k != "stats-server" && !strings.HasPrefix(k, "https") && k != "shared-socket" {
		a.listeners = append(a.listeners, l)
	}
	return l.addr + rest
}

var (
	iniLine  = regexp.MustCompile(`^(\s*)([A-Za-z0-9_.\-]+)(\s*=\s*)(.*)$`)
	yamlLine = regexp.MustCompile(`^(\s+)([A-Za-z0-9_.\-]+)(\s*:\s*)(.*)$`)
	yamlItem = regexp.MustCompile(`^(\s+-\s+)(.*)$`)
	xmlElem  = regexp.MustCompile(`^(\s*)<([A-Za-z0-9_.\-]+)((?:\s[^>]*)?)>(.*)</([A-Za-z0-9_.\-]+)>(\s*)$`)
	xmlEmpty = regexp.MustCompile(`^(\s*)<([A-Za-z0-9_.\-]+)((?:\s[^>/]*)?)\s*/>(\s*)$`)
)

// adapt rewrites text of the given format ("ini", "yaml", "xml", "json").
func (a *adapter) adapt(format, text string) (string, error) {
	if format == "json" {
		return a.adaptJSON(text)
	}
	lines := strings.Split(text, "\n")
	out := lines[:0:0]
	yamlKey := ""
	for _, l := range lines {
		switch format {
		case "ini":
			if m := iniLine.FindStringSubmatch(l); m != nil && !strings.HasPrefix(strings.TrimSpace(l), ";") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
				v, ok := a.rewrite(m[2], m[4])
				if !ok {
					continue
				}
				l = m[1] + m[2] + m[3] + v
			}
		case "yaml":
			if m := yamlLine.FindStringSubmatch(l); m != nil {
				yamlKey = m[2]
				if strings.TrimSpace(m[4]) != "" {
					v, ok := a.rewrite(m[2], unquoteYAML(m[4]))
					if !ok {
						continue
					}
					l = m[1] + m[2] + m[3] + strconv.Quote(v)
				}
			} else if m := yamlItem.FindStringSubmatch(l); m != nil && yamlKey != "" {
				v, ok := a.rewrite(yamlKey, unquoteYAML(m[2]))
				if !ok {
					continue
				}
				l = m[1] + strconv.Quote(v)
			}
		case "xml":
			if m := xmlElem.FindStringSubmatch(l); m != nil && m[2] == m[5] {
				v, ok := a.rewrite(m[2], m[4])
				if !ok {
					continue
				}
				l = m[1] + "<" + m[2] + m[3] + ">" + xmlEscape(v) + "</" + m[2] + ">" + m[6]
			} else if m := xmlEmpty.FindStringSubmatch(l); m != nil {
				if _, ok := a.rewrite(m[2], "1"); !ok {
					continue
				}
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n"), nil
}

func unquoteYAML(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, " #"); i >= 0 && s[0] != '"' && s[0] != '\'' {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func xmlEscape(s string) string {
	if strings.ContainsAny(s, "<>") || strings.Contains(s, "&") && !strings.Contains(s, ";") {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	return s
}

// adaptJSON rewrites every object of a JSON config (keys sorted on output).
func (a *adapter) adaptJSON(text string) (string, error) {
	var top map[string]any
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return text, nil // both servers get the broken file as it is
	}
	for name, body := range top {
		obj, ok := body.(map[string]any)
		if !ok {
			continue
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			obj[k] = a.adaptJSONValue(k, obj[k])
			if obj[k] == nil {
				delete(obj, k)
			}
		}
		top[name] = obj
	}
	b, err := json.MarshalIndent(top, "", "  ")
	return string(b), err
}

func (a *adapter) adaptJSONValue(k string, v any) any {
	switch x := v.(type) {
	case string:
		if s, ok := a.rewrite(k, x); ok {
			return s
		}
		return nil
	case []any:
		var out []any
		for _, item := range x {
			if r := a.adaptJSONValue(k, item); r != nil {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case float64, bool:
		if _, ok := a.rewrite(k, fmt.Sprint(x)); !ok {
			return nil
		}
		if s, _ := a.rewrite(k, fmt.Sprint(x)); s != fmt.Sprint(x) {
			return s
		}
	}
	return v
}
