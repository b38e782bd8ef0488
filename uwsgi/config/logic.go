package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// block is an open if-*/for block of a config file.
type block struct {
	kind    string // "if" or "for"
	active  bool   // entries inside apply
	value   string // %(_)
	hasVal  bool
	items   []string
	entries []entry // for: the body, replayed per item
}

// addFileEntry handles a config file entry, evaluating uWSGI's logic
// options (if-env, if-exists, for, ...) as they come.
func (p *parser) addFileEntry(e entry) error {
	key := e.key
	if n := len(p.blocks); n > 0 && p.blocks[n-1].kind == "for" && !isBlockEnd(key) {
		p.blocks[n-1].entries = append(p.blocks[n-1].entries, e)
		return nil
	}
	active := p.active()
	switch {
	case strings.HasPrefix(key, "if-"):
		ok, val, err := p.condition(key, e)
		if err != nil {
			return err
		}
		p.blocks = append(p.blocks, &block{kind: "if", active: active && ok, value: val, hasVal: true})
		return nil
	case key == "for" || key == "for-glob" || key == "for-times" || key == "for-readline":
		items, err := p.forItems(key, e)
		if err != nil && active {
			return err
		}
		p.blocks = append(p.blocks, &block{kind: "for", active: active, items: items})
		return nil
	case isBlockEnd(key):
		return p.closeBlock(e)
	}
	if !active {
		return nil
	}
	if v, ok := p.loopValue(); ok {
		e.val = strings.ReplaceAll(e.val, "%(_)", v)
	}
	return p.add(e)
}

func isBlockEnd(key string) bool {
	switch key {
	case "endif", "end-if", "endfor", "end-for", "end":
		return true
	}
	return false
}

func (p *parser) active() bool {
	for _, b := range p.blocks {
		if !b.active {
			return false
		}
	}
	return true
}

func (p *parser) loopValue() (string, bool) {
	for i := len(p.blocks) - 1; i >= 0; i-- {
		if p.blocks[i].hasVal {
			return p.blocks[i].value, true
		}
	}
	return "", false
}

func (p *parser) closeBlock(e entry) error {
	n := len(p.blocks)
	if n == 0 {
		return nil // uWSGI accepts a stray endif
	}
	b := p.blocks[n-1]
	p.blocks = p.blocks[:n-1]
	if b.kind != "for" || !b.active {
		return nil
	}
	// uWSGI repeats each option of the body over every item before the
	// next option; a body with blocks of its own runs once per item.
	nested := false
	for _, be := range b.entries {
		nested = nested || isLogicKey(be.key)
	}
	if !nested {
		for _, be := range b.entries {
			for _, item := range b.items {
				if err := p.replay(be, item); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, item := range b.items {
		for _, be := range b.entries {
			if err := p.replay(be, item); err != nil {
				return err
			}
		}
	}
	return nil
}

// replay adds one entry of a for body with %(_) as item.
func (p *parser) replay(e entry, item string) error {
	p.blocks = append(p.blocks, &block{kind: "if", active: true, value: item, hasVal: true})
	defer func() { p.blocks = p.blocks[:len(p.blocks)-1] }()
	return p.addFileEntry(e)
}

// isLogicKey reports the keys of uWSGI's config logic.
func isLogicKey(k string) bool {
	switch k {
	case "for", "for-glob", "for-readline", "for-times":
		return true
	}
	return isBlockEnd(k) || strings.HasPrefix(k, "if-")
}

// logicArg is the argument of a logic option as uWSGI reads it: literal,
// since uWSGI applies logic before it expands $(), @() and %() (one
// warning when an expansion would have changed it).
func (p *parser) logicArg(e entry) string {
	if strings.Contains(e.val, "(") {
		p.logicArgs = append(p.logicArgs, e)
	}
	return e.val
}

// condition evaluates an if-* option; it returns the value of %(_).
func (p *parser) condition(key string, e entry) (bool, string, error) {
	neg := strings.HasPrefix(key, "if-not-")
	what := strings.TrimPrefix(strings.TrimPrefix(key, "if-not-"), "if-")
	arg := p.logicArg(e)
	var ok bool
	val := arg
	switch what {
	case "env":
		name, want, hasWant := strings.Cut(arg, "=")
		v, set := p.env[name]
		ok, val = set && (!hasWant || v == want), v
		if !set {
			val = ""
		}
	case "exists":
		_, err := os.Stat(arg)
		ok = err == nil
	case "file":
		fi, err := os.Stat(arg)
		ok = err == nil && fi.Mode().IsRegular()
	case "dir", "directory":
		fi, err := os.Stat(arg)
		ok = err == nil && fi.IsDir()
	case "plugin":
		ok = false // uwsgo loads no plugins: everything is in the binary
	case "opt":
		name, want, hasWant := strings.Cut(arg, "=")
		v, set := p.lookupValue(name)
		ok, val = set && (!hasWant || v == want), v
	case "reload":
		ok = os.Getenv("UWSGI_RELOADS") != ""
	case "hostname":
		h, _ := os.Hostname()
		ok = h == arg
	case "hostname-match":
		re, err := regexp.Compile(arg)
		if err != nil {
			return false, "", fmt.Errorf("uwsgi: %s: %s: bad regular expression: %v", e.src, key, err)
		}
		h, _ := os.Hostname()
		ok = re.MatchString(h)
	default:
		return false, "", fmt.Errorf("uwsgi: %s: unknown logic option '%s'", e.src, key)
	}
	if neg {
		ok = !ok
	}
	return ok, val, nil
}

// forItems lists the values a for block repeats over, as uWSGI does:
// for-glob marks directories with a slash and yields the pattern itself
// when nothing matches; for-readline yields each line of a file.
func (p *parser) forItems(key string, e entry) ([]string, error) {
	val := p.logicArg(e)
	switch key {
	case "for-glob":
		m, err := filepath.Glob(val)
		if err != nil || len(m) == 0 {
			return []string{val}, nil
		}
		for i, f := range m {
			if fi, err := os.Stat(f); err == nil && fi.IsDir() {
				m[i] += "/"
			}
		}
		return m, nil
	case "for-times":
		n, _, _ := parseInt(val)
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprint(i))
		}
		return out, nil
	case "for-readline":
		b, err := readSource(val)
		if err != nil { // uWSGI logs it and goes on without the block
			p.warnf("uwsgi: %s: for-readline: %v; the block is skipped", e.src, err)
			return nil, nil
		}
		var out []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if l != "" {
				out = append(out, strings.TrimRight(l, "\r\n"))
			}
		}
		return out, nil
	}
	return strings.Fields(val), nil
}
