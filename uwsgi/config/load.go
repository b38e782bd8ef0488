package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Version is uwsgo's version: %V in config files and --version.
var Version = "0.1.0"

// ErrHelp is returned by Load for --help: print WriteUsage and exit 0.
var ErrHelp = errors.New("uwsgi: help requested")

// ErrVersion is returned by Load for --version: print Version and exit 0.
var ErrVersion = errors.New("uwsgi: version requested")

// value is one occurrence of an option.
type value struct {
	raw string
	src Source
	seq int // order of arrival over every option
}

// entry is one key=value as read, before placeholders are expanded.
type entry struct {
	key  string
	val  string
	src  Source
	file bool // from a config file (unknown keys become placeholders)
}

// Config is the effective configuration.
type Config struct {
	values       map[string][]value // by canonical option name
	placeholders map[string]value
	phUsed       map[string]bool
	unknown      []entry // unknown file keys, in order
	warnings     []string
	strict       bool
	seq          int
	shown        []string // every key = value read, in order, as uWSGI's --show-config lists them
}

// LoadOptions tune Load for special callers.
type LoadOptions struct {
	// AllowNotYet accepts options uwsgo does not implement yet instead of
	// failing (tests of real configs use it).
	AllowNotYet bool
}

// Load reads the configuration as uWSGI does: UWSGI_* environment
// variables first, then args left to right, each config file expanded
// where it is named. environ is os.Environ()-style. The error text is what
// the binary prints before exiting 1: it names the option, the value and
// where they came from.
func Load(args, environ []string) (*Config, error) {
	return LoadWith(args, environ, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(args, environ []string, lo LoadOptions) (*Config, error) {
	p := &parser{env: envMap(environ), lo: lo}
	p.cfg = &Config{values: map[string][]value{}, placeholders: map[string]value{}, phUsed: map[string]bool{}}
	if err := p.readEnv(environ); err != nil {
		return nil, err
	}
	if err := p.readArgs(args); err != nil {
		return nil, err
	}
	if err := p.apply(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// parser collects entries, then applies them.
type parser struct {
	cfg       *Config
	env       map[string]string
	lo        LoadOptions
	entries   []entry
	depth     int
	files     []string // stack of files being read, for cycle errors
	lastIni   string
	first     *magic // magic variables of the first file, for %O %D ...
	help      bool
	version   bool
	blocks    []*block
	shown     []entry // every entry added, file options included, for Config.shown
	err       error   // the first error of an expansion (@(file) unreadable)
	atCache   map[string]string
	logicArgs []entry // logic options whose argument has a "(", checked at apply
	warned    map[string]bool
}

// excludedEnv are UWSGI_* variables that are not options.
var excludedEnv = map[string]bool{
	"UWSGI_RELOADS": true, "UWSGI_VASSALS_DIR": true, "UWSGI_EMPEROR_FD": true, "UWSGI_BROODLORD_NUM": true,
	"UWSGI_EMPEROR_FD_CONFIG": true, "UWSGI_EMPEROR_PROXY": true, "UWSGI_JAIL_PID": true, "UWSGI_ORIGINAL_PROC_NAME": true,
}

// readEnv turns UWSGI_<NAME>=value into option <name>.
func (p *parser) readEnv(environ []string) error {
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "UWSGI_") || excludedEnv[k] {
			continue
		}
		name := normalizeName(strings.TrimPrefix(k, "UWSGI_"))
		src := Source{Env: k}
		if _, known := Lookup(name); !known {
			p.warnf("uwsgi: %s: unknown option '%s'%s; ignored", src, name, suggestion(name))
			continue
		}
		if err := p.add(entry{key: name, val: v, src: src}); err != nil {
			return err
		}
	}
	return nil
}

// add records an entry; config-file options are expanded at once.
func (p *parser) add(e entry) error {
	p.shown = append(p.shown, e)
	o, known := Lookup(e.key)
	if known && isFileOption(o.Name) {
		return p.loadFile(o.Name, e.val, e.src)
	}
	if known && o.Name == "help" {
		p.help = true
	}
	if known && o.Name == "version" {
		p.version = true
	}
	p.entries = append(p.entries, e)
	return nil
}

func (p *parser) warnf(format string, args ...any) {
	p.cfg.warnings = append(p.cfg.warnings, fmt.Sprintf(format, args...))
}

// apply expands placeholders and stores every entry under its option.
func (p *parser) apply() error {
	if p.help {
		return ErrHelp
	}
	if p.version {
		return ErrVersion
	}
	c := p.cfg
	// Placeholders first: unknown file keys, set-placeholder and set.
	for _, e := range p.entries {
		if err := p.collectPlaceholder(e); err != nil {
			return err
		}
	}
	for _, e := range p.entries {
		if err := p.store(e); err != nil {
			return err
		}
	}
	c.strict = c.Bool("strict")
	for _, e := range p.shown {
		c.shown = append(c.shown, e.key+" = "+p.expand(e.val))
	}
	for _, e := range p.logicArgs {
		if x := p.expand(e.val); x != e.val {
			p.warnf("uwsgi: %s: '%s = %s' tests the text as written: uWSGI does not expand $(), @() or %%() in a logic option's argument (it would be %q)", e.src, e.key, e.val, x)
		}
	}
	if p.err != nil {
		return p.err
	}
	return p.checkUnknown()
}

func (p *parser) collectPlaceholder(e entry) error {
	o, known := Lookup(e.key)
	switch {
	case !known:
		if _, dup := p.cfg.placeholders[e.key]; !dup {
			p.cfg.placeholders[e.key] = value{raw: e.val, src: e.src}
		}
		p.cfg.unknown = append(p.cfg.unknown, e)
	case o.Name == "set-placeholder", o.Name == "set" && !isOptionAssignment(e.val):
		k, v, ok := strings.Cut(e.val, "=")
		if !ok {
			return fmt.Errorf("uwsgi: invalid value %q for option %q (%s): want key=value", e.val, o.Name, e.src)
		}
		if _, dup := p.cfg.placeholders[k]; !dup {
			p.cfg.placeholders[k] = value{raw: v, src: e.src}
		}
	}
	return nil
}

func isOptionAssignment(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	_, ok := Lookup(k)
	return ok
}

// store validates one entry and appends it to its option's values.
func (p *parser) store(e entry) error {
	o, known := Lookup(e.key)
	if !known {
		return nil // a placeholder
	}
	val := p.expand(e.val)
	if o.Name == "set" && isOptionAssignment(val) {
		k, v, _ := strings.Cut(val, "=")
		return p.store(entry{key: k, val: v, src: e.src, file: true})
	}
	switch o.Status {
	case Ignored:
		p.warnIgnored(o, e)
		return nil
	case Refused:
		return fmt.Errorf("uwsgi: option '--%s' (from %s) is not supported by uwsgo: %s", e.key, e.src, o.Note)
	case NotYet:
		if !p.lo.AllowNotYet {
			return fmt.Errorf("uwsgi: option '--%s' (from %s) is not yet supported by uwsgo", e.key, e.src)
		}
	}
	v, err := p.checkValue(o, val, e)
	if err != nil {
		return err
	}
	c := p.cfg
	c.seq++
	if o.Kind == List || len(c.values[o.Name]) == 0 {
		c.values[o.Name] = append(c.values[o.Name], value{v, e.src, c.seq})
	} else {
		c.values[o.Name] = append(c.values[o.Name][:0], value{v, e.src, c.seq}) // scalars: the last wins
		c.values[o.Name] = c.values[o.Name][:1]
	}
	return nil
}

// warnIgnored gives the one warning of an ignored option (one for all the
// spooler and mule options that declare them).
func (p *parser) warnIgnored(o *Option, e entry) {
	key := o.Name
	if o.Note == whyNotRun {
		key = whyNotRun
	}
	if o.Quiet || p.warned[key] {
		return
	}
	if p.warned == nil {
		p.warned = map[string]bool{}
	}
	p.warned[key] = true
	p.warnf("uwsgi: %s: option '%s' is ignored by uwsgo: %s", e.src, e.key, o.Note)
}

// checkUnknown warns once for each unknown file key nothing used, or fails
// under strict mode.
func (p *parser) checkUnknown() error {
	c := p.cfg
	seen := map[string]bool{}
	for _, e := range c.unknown {
		if c.phUsed[e.key] || seen[e.key+e.src.String()] {
			continue
		}
		seen[e.key+e.src.String()] = true
		if c.strict {
			return fmt.Errorf("uwsgi: [strict-mode] unknown config directive '%s' at %s%s", e.key, e.src, suggestion(e.key))
		}
		p.warnf("uwsgi: %s: unknown option '%s'%s; kept as a placeholder", e.src, e.key, suggestion(e.key))
	}
	return nil
}

// Warnings are the messages Load produced, one line each.
func (c *Config) Warnings() []string { return c.warnings }

// IsSet reports whether the option was given at least once.
func (c *Config) IsSet(name string) bool { return len(c.values[mustLookup(name).Name]) > 0 }

// String returns the option's last value, or its default.
func (c *Config) String(name string) string {
	o := mustLookup(name)
	if v := c.values[o.Name]; len(v) > 0 {
		return v[len(v)-1].raw
	}
	return o.Default
}

// Strings returns every value of the option, in order.
func (c *Config) Strings(name string) []string {
	var out []string
	for _, v := range c.values[mustLookup(name).Name] {
		out = append(out, v.raw)
	}
	return out
}

// Int returns the option as a number (validated by Load).
func (c *Config) Int(name string) int {
	n, _, _ := parseInt(c.String(name))
	return n
}

// Bool reports whether a flag is on.
func (c *Config) Bool(name string) bool {
	o := mustLookup(name)
	v := c.values[o.Name]
	if len(v) == 0 {
		return false
	}
	return parseBool(v[len(v)-1].raw)
}

// Source says where the option's last value came from.
func (c *Config) Source(name string) Source {
	if v := c.values[mustLookup(name).Name]; len(v) > 0 {
		return v[len(v)-1].src
	}
	return Source{}
}

// Placeholder returns a placeholder's value.
func (c *Config) Placeholder(name string) (string, bool) {
	v, ok := c.placeholders[name]
	return v.raw, ok
}

// Dump is the effective configuration, one "name = value" line per value,
// options sorted by name, values in order. Golden tests compare it.
func (c *Config) Dump() string {
	names := make([]string, 0, len(c.values))
	for n := range c.values {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		for _, v := range c.values[n] {
			fmt.Fprintf(&b, "%s = %s\n", n, v.raw)
		}
	}
	return b.String()
}

// Item is one value of an option, with where it came from.
type Item struct {
	Name   string // canonical option name
	Value  string
	Source Source
}

// Ordered returns the values of the named options interleaved in the
// order they were given (what routing rules and labels need).
func (c *Config) Ordered(names ...string) []Item {
	type seqItem struct {
		Item
		seq int
	}
	var all []seqItem
	for _, n := range names {
		name := mustLookup(n).Name
		for _, v := range c.values[name] {
			all = append(all, seqItem{Item{name, v.raw, v.src}, v.seq})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]Item, len(all))
	for i, it := range all {
		out[i] = it.Item
	}
	return out
}
