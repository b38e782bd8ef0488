package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const maxIncludeDepth = 16

// splitSection splits "file.ini:section" (a section name has no slash;
// in scheme://... the section follows the last slash).
func splitSection(spec string) (path, section string) {
	i := strings.LastIndexByte(spec, ':')
	if _, rest, ok := strings.Cut(spec, "://"); ok && i < len(spec)-len(rest) {
		return spec, ""
	}
	if i < 0 || strings.ContainsRune(spec[i+1:], '/') {
		return spec, ""
	}
	return spec[:i], spec[i+1:]
}

// loadFile reads a config file of kind ("ini", "yaml", "json" or
// "include") named by spec and adds its entries in place.
func (p *parser) loadFile(kind, spec string, from Source) error {
	path, section := splitSection(spec)
	if kind == "ini" && path == "" {
		if p.lastIni == "" {
			return fmt.Errorf("uwsgi: %s: ini = :%s but no ini file was read before", from, section)
		}
		path = p.lastIni
	}
	if kind == "include" {
		k, ok := fileKind(path)
		if !ok {
			k = "ini"
		}
		kind = k
	}
	abs, _ := filepath.Abs(path)
	abs += ":" + section
	for _, f := range p.files {
		if f == abs {
			return fmt.Errorf("uwsgi: %s: config files include each other: %s -> %s", from, strings.Join(p.files, " -> "), abs)
		}
	}
	if len(p.files) >= maxIncludeDepth {
		return fmt.Errorf("uwsgi: %s: config files nested more than %d deep", from, maxIncludeDepth)
	}
	raw, err := readSource(path)
	if err != nil {
		return fmt.Errorf("uwsgi: unable to load configuration from %s (%s): %v", path, from, err)
	}
	mg := newMagic(spec, path, section)
	if p.first == nil {
		p.first = mg
	}
	text := mg.substitute(string(raw), p.first)
	p.files = append(p.files, abs)
	defer func() { p.files = p.files[:len(p.files)-1] }()
	var entries []entry
	switch kind {
	case "ini":
		p.lastIni = path
		if section == "" {
			section = "uwsgi"
		}
		entries, err = parseINI(text, path, section, &p.cfg.warnings)
	case "yaml":
		entries, err = parseYAML(text, path, orDefault(section, "uwsgi"))
	case "json":
		entries, err = parseJSON(text, path, orDefault(section, "uwsgi"))
	case "xml":
		entries, err = parseXML(text, path, section)
	default:
		err = fmt.Errorf("uwsgi: unknown config kind %q", kind)
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := p.addFileEntry(e); err != nil {
			return err
		}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// parseINI reads the [section] of an ini text.
func parseINI(text, path, section string, warnings *[]string) ([]entry, error) {
	var out []entry
	in, found := false, false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		l := strings.Trim(sc.Text(), " \t\r")
		if l == "" || l[0] == ';' || l[0] == '#' {
			continue
		}
		if l[0] == '[' && l[len(l)-1] == ']' {
			in = strings.TrimSpace(l[1:len(l)-1]) == section
			found = found || in
			continue
		}
		if !in {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		out = append(out, entry{key: strings.TrimSpace(k), val: strings.TrimSpace(v), src: Source{File: path, Line: line}, file: true})
	}
	if !found {
		*warnings = append(*warnings, fmt.Sprintf("*** WARNING: Can't find section \"%s\" in INI configuration file %s ***", section, path))
	}
	return out, sc.Err()
}

// parseYAML reads the top-level mapping named section: "key: value" lines,
// "- item" lists repeating the key, # comments, quotes stripped.
func parseYAML(text, path, section string) ([]entry, error) {
	var out []entry
	in, found, lastKey := false, false, ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimRight(sc.Text(), " \t\r")
		l := strings.TrimSpace(raw)
		if l == "" || l[0] == '#' || l == "---" {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if !indented {
			in = strings.TrimSuffix(l, ":") == section && strings.HasSuffix(l, ":")
			found = found || in
			continue
		}
		if !in {
			continue
		}
		src := Source{File: path, Line: line}
		if item, ok := strings.CutPrefix(l, "- "); ok && lastKey != "" {
			out = append(out, entry{key: lastKey, val: unquote(item), src: src, file: true})
			continue
		}
		k, v, _ := strings.Cut(l, ":")
		lastKey = strings.TrimSpace(k)
		if v = strings.TrimSpace(v); v != "" || !strings.HasSuffix(l, ":") {
			out = append(out, entry{key: lastKey, val: unquote(v), src: src, file: true})
		}
	}
	if !found {
		return nil, fmt.Errorf("uwsgi: %s: no mapping named %q in the YAML file", path, section)
	}
	return out, sc.Err()
}

func unquote(s string) string {
	if i := strings.Index(s, " #"); i >= 0 && !strings.HasPrefix(s, "\"") && !strings.HasPrefix(s, "'") {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// parseJSON reads the object named section: strings as they are, true as 1,
// false/null as 0, numbers in decimal, arrays repeating the key.
func parseJSON(text, path, section string) ([]entry, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("uwsgi: %s: invalid JSON: %v", path, err)
	}
	body, ok := top[section]
	if !ok {
		return nil, fmt.Errorf("uwsgi: %s: you must define a object named %s in your JSON data", path, section)
	}
	var obj map[string]any
	d2 := json.NewDecoder(bytes.NewReader(body))
	d2.UseNumber()
	if err := d2.Decode(&obj); err != nil {
		return nil, fmt.Errorf("uwsgi: %s: %q is not an object: %v", path, section, err)
	}
	keys := jsonKeyOrder(body)
	if len(keys) != len(obj) {
		keys = keys[:0]
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	var out []entry
	src := Source{File: path, Line: 1}
	for _, k := range keys {
		vals := []any{obj[k]}
		if arr, ok := obj[k].([]any); ok {
			vals = arr
		}
		for _, v := range vals {
			if s, ok := jsonScalar(v); ok {
				out = append(out, entry{key: k, val: s, src: src, file: true})
			}
		}
	}
	return out, nil
}

func jsonScalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case nil:
		return "0", true
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		return string(x), true
	}
	return "", false
}

// jsonKeyOrder lists an object's keys in document order (options apply in
// order, so it matters for scalars given twice and for lists).
func jsonKeyOrder(obj json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var keys []string
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return keys
}
