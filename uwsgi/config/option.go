package config

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is what an option's argument is.
type Kind uint8

const (
	// Flag takes no argument on the command line; in files and the
	// environment its value is read as a boolean.
	Flag Kind = iota
	// Int is an integer, read like C's atoi (leading digits; the rest is
	// ignored with a warning).
	Int
	// String is a text value; the last one given wins.
	String
	// List is a repeatable text value; every value is kept, in order.
	List
	// OptString is a text value that is optional on the command line: only
	// --opt=value attaches one, a bare --opt means "".
	OptString
)

func (k Kind) String() string {
	return [...]string{"flag", "number", "string", "list", "optional string"}[k]
}

// Status is how uwsgo treats an option.
type Status uint8

const (
	// Supported options are implemented.
	Supported Status = iota
	// Ignored options are accepted for compatibility (language plugins,
	// loaders): each use logs one warning saying why.
	Ignored
	// NotYet options are known uWSGI options uwsgo does not implement yet:
	// using one is an error naming it.
	NotYet
	// Refused options are uWSGI options uwsgo will not run: using one stops
	// start-up with a message saying what to use instead (Note).
	Refused
)

// String is the status as docs/options.md shows it.
func (s Status) String() string {
	return [...]string{"supported", "ignored", "not yet", "refused"}[s]
}

// Option is one row of the option table.
type Option struct {
	Name    string   // canonical name
	Short   byte     // one-letter alias, 0 if none
	Aliases []string // other names meaning the same
	Kind    Kind
	Default string // as shown in --help and the docs
	Min     int    // Int: smallest accepted value (checked when MinSet)
	MinSet  bool
	Clamp   int    // Int: values above are lowered to it silently, 0 = none
	Help    string // one line
	Status  Status
	Note    string // difference from uWSGI, or why it is ignored
	Quiet   bool   // Ignored without a warning (it only tunes a part uwsgo does not run)
	Plugin  string // the uWSGI plugin defining it ("core" for uWSGI's core); "" for uwsgo's own options
}

var byName map[string]*Option
var byShort map[byte]*Option

func init() {
	byName = make(map[string]*Option, 1600)
	byShort = map[byte]*Option{}
	for i := range table {
		o := &table[i]
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if _, dup := byName[n]; dup {
				panic("config: option " + n + " is in the table twice")
			}
			byName[n] = o
		}
		if o.Short != 0 {
			if _, dup := byShort[o.Short]; dup {
				panic(fmt.Sprintf("config: short option -%c is in the table twice", o.Short))
			}
			byShort[o.Short] = o
		}
	}
	addUwsgiNames()
}

// Options returns the option table, sorted by name.
func Options() []Option {
	out := append([]Option(nil), table...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds an option by its name or an alias.
func Lookup(name string) (*Option, bool) {
	o, ok := byName[name]
	return o, ok
}

// mustLookup is for the engine's accessors: a name not in the table is a
// programming error.
func mustLookup(name string) *Option {
	o, ok := byName[name]
	if !ok {
		panic("config: no option named " + name)
	}
	return o
}

// Source says where a value came from.
type Source struct {
	File string // config file; "" for the command line or the environment
	Line int
	Env  string // the UWSGI_* variable, for the environment
}

func (s Source) String() string {
	switch {
	case s.Env != "":
		return "environment " + s.Env
	case s.File != "":
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	default:
		return "command line"
	}
}

// isFileOption reports the options that load more configuration.
func isFileOption(name string) bool {
	switch name {
	case "ini", "yaml", "json", "xml", "include":
		return true
	}
	return false
}

func normalizeName(n string) string {
	return strings.ToLower(strings.ReplaceAll(n, "_", "-"))
}
