package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// readArgs parses the command line: --opt value, --opt=value, flags, short
// options (-s value, -svalue, -ML), and bare config file names.
func (p *parser) readArgs(args []string) error {
	cli := Source{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			n, err := p.longOption(args, i)
			if err != nil {
				return err
			}
			i += n
		case strings.HasPrefix(a, "-") && len(a) > 1:
			n, err := p.shortOptions(args, i)
			if err != nil {
				return err
			}
			i += n
		case strings.HasPrefix(a, "["):
			// uWSGI skips these.
		default:
			kind, ok := fileKind(a)
			if !ok {
				return fmt.Errorf("uwsgi: unable to load configuration from %s", a)
			}
			if err := p.loadFile(kind, a, cli); err != nil {
				return err
			}
		}
	}
	return nil
}

// fileKind maps a config file name (possibly with :section) to its loader.
func fileKind(name string) (string, bool) {
	path, _ := splitSection(name)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ini":
		return "ini", true
	case ".yaml", ".yml":
		return "yaml", true
	case ".json", ".js":
		return "json", true
	case ".xml":
		return "xml", true
	}
	return "", false
}

// longOption handles args[i], a --option; it returns how many more
// arguments it consumed.
func (p *parser) longOption(args []string, i int) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	o, ok := Lookup(name)
	if !ok {
		return 0, fmt.Errorf("uwsgi: unrecognized option '--%s'%s", name, suggestion(name))
	}
	switch {
	case o.Kind == Flag && hasVal:
		return 0, fmt.Errorf("uwsgi: option '--%s' doesn't allow an argument", name)
	case o.Kind == Flag:
		val = "true"
	case o.Kind == OptString:
	case !hasVal:
		if i+1 >= len(args) {
			return 0, fmt.Errorf("uwsgi: option '--%s' requires an argument", name)
		}
		return 1, p.addFileEntry(entry{key: name, val: args[i+1]})
	}
	return 0, p.addFileEntry(entry{key: name, val: val})
}

// shortOptions handles args[i], one or more short options.
func (p *parser) shortOptions(args []string, i int) (int, error) {
	s := args[i][1:]
	for k := 0; k < len(s); k++ {
		o, ok := byShort[s[k]]
		if !ok {
			return 0, fmt.Errorf("uwsgi: invalid option -- '%c'", s[k])
		}
		switch o.Kind {
		case Flag:
			if err := p.addFileEntry(entry{key: o.Name, val: "true"}); err != nil {
				return 0, err
			}
		case OptString:
			return 0, p.addFileEntry(entry{key: o.Name, val: s[k+1:]})
		default:
			if k+1 < len(s) {
				return 0, p.addFileEntry(entry{key: o.Name, val: s[k+1:]})
			}
			if i+1 >= len(args) {
				return 0, fmt.Errorf("uwsgi: option requires an argument -- '%c'", s[k])
			}
			return 1, p.addFileEntry(entry{key: o.Name, val: args[i+1]})
		}
	}
	return 0, nil
}
