package config

import (
	"fmt"
	"strconv"
	"strings"
)

// parseBool reads a boolean as uWSGI does: true unless false/off/no/0.
func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "false", "off", "no", "0":
		return false
	}
	return true
}

// parseInt reads an integer like C's atoi: an optional sign and the leading
// digits. rest is what was ignored; ok is false when there were no digits.
func parseInt(s string) (n int, rest string, ok bool) {
	t := strings.TrimLeft(s, " \t")
	i := 0
	if i < len(t) && (t[i] == '-' || t[i] == '+') {
		i++
	}
	j := i
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	if j == i {
		return 0, t, false
	}
	v, err := strconv.ParseInt(t[:j], 10, 64)
	if err != nil || v > 1<<31-1 || v < -(1<<31) {
		return 0, t, false
	}
	return int(v), strings.TrimSpace(t[j:]), true
}

// checkValue validates and normalizes a value of option o.
func (p *parser) checkValue(o *Option, v string, e entry) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("uwsgi: invalid value %q for option %q (%s): %s", v, e.key, e.src, why)
	}
	switch o.Kind {
	case Flag:
		if parseBool(v) {
			return "true", nil
		}
		return "false", nil
	case Int:
		n, rest, ok := parseInt(v)
		if !ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "", "true", "false", "on", "off", "yes", "no":
				// uWSGI reads these with atoi, as 0.
				p.warnf("uwsgi: %s: option '%s' wants a number, got %q: using 0", e.src, e.key, v)
				return "0", nil
			}
			return "", bad("not a number")
		}
		if rest != "" {
			p.warnf("uwsgi: %s: option '%s': ignoring %q after the number %d", e.src, e.key, rest, n)
		}
		if o.MinSet && n < o.Min {
			return "", bad(fmt.Sprintf("must be >= %d", o.Min))
		}
		if o.Clamp > 0 && n > o.Clamp {
			n = o.Clamp
		}
		return strconv.Itoa(n), nil
	}
	return v, nil
}
