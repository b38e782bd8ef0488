package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// block is an open if-*/for block of a config file.
type block struct {
	kind    string // "if" or "for"
	active  bool   // entries inside apply
	value   string // %(_)
	items   []string
	entries []entry // for: the body, replayed per item
}

// addFileEntry handles a config file entry, evaluating uWSGI's logic
// options (if-env, if-exists, for, ...) as they come.
func (p *parser) addFileEntry(e entry) error {
	key := e.key
	if n := len(p.blocks); n > 0 && p.blocks[n-1].kind == "for" && key != "endfor" && key != "end" {
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
		p.blocks = append(p.blocks, &block{kind: "if", active: active && ok, value: val})
		return nil
	case key == "for" || key == "for-glob" || key == "for-times":
		b := &block{kind: "for", active: active, items: p.forItems(key, e.val)}
		p.blocks = append(p.blocks, b)
		return nil
	case key == "endif", key == "endfor", key == "end":
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
		if p.blocks[i].value != "" {
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
	for _, item := range b.items {
		p.blocks = append(p.blocks, &block{kind: "if", active: true, value: item})
		for _, be := range b.entries {
			if err := p.addFileEntry(be); err != nil {
				return err
			}
		}
		p.blocks = p.blocks[:len(p.blocks)-1]
	}
	return nil
}

// condition evaluates an if-* option; it returns the value of %(_).
func (p *parser) condition(key string, e entry) (bool, string, error) {
	neg := strings.HasPrefix(key, "if-not-")
	what := strings.TrimPrefix(strings.TrimPrefix(key, "if-not-"), "if-")
	arg := p.expand(e.val)
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
	case "dir":
		fi, err := os.Stat(arg)
		ok = err == nil && fi.IsDir()
	case "opt":
		name, want, hasWant := strings.Cut(arg, "=")
		v, set := p.lookupValue(name)
		ok, val = set && (!hasWant || v == want), v
	case "reload":
		ok = os.Getenv("UWSGI_RELOADS") != ""
	case "hostname":
		h, _ := os.Hostname()
		ok = h == arg
	default:
		return false, "", fmt.Errorf("uwsgi: %s: unknown logic option '%s'", e.src, key)
	}
	if neg {
		ok = !ok
	}
	return ok, val, nil
}

func (p *parser) forItems(key, val string) []string {
	val = p.expand(val)
	switch key {
	case "for-glob":
		m, _ := filepath.Glob(val)
		return m
	case "for-times":
		n, _, _ := parseInt(val)
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprint(i))
		}
		return out
	}
	return strings.Fields(val)
}
