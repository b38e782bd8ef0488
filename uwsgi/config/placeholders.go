package config

import (
	"strconv"
	"strings"
)

// expand replaces $(ENV) with environment variables, @(file) with a
// file's content (or a scheme's, see readSource) and %(name) with the
// first value of an option or placeholder, supporting nesting and uWSGI's
// left-to-right arithmetic (%(a b + 1)). Unresolvable tokens stay as they are.
func (p *parser) expand(s string) string {
	for range 8 { // nested references resolve in a few passes
		out := p.expandOnce(s)
		if out == s {
			return out
		}
		s = out
	}
	return s
}

func (p *parser) expandOnce(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if (s[i] == '$' || s[i] == '%' || s[i] == '@') && i+1 < len(s) && s[i+1] == '(' {
			end := matchParen(s, i+1)
			if end > 0 {
				inner := p.expandOnce(s[i+2 : end])
				if v, ok := p.resolve(s[i], inner); ok {
					b.WriteString(v)
					i = end
					continue
				}
				b.WriteString(s[i:i+2] + inner + ")")
				i = end
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// matchParen finds the parenthesis closing the one at open.
func matchParen(s string, open int) int {
	depth := 0
	for j := open; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return -1
}

func (p *parser) resolve(kind byte, name string) (string, bool) {
	switch kind {
	case '$':
		v, ok := p.env[name]
		return v, ok
	case '@':
		return p.readAt(name)
	}
	if !strings.Contains(name, " ") {
		return p.lookupValue(name)
	}
	return p.evaluate(strings.Fields(name))
}

// lookupValue is the first value of an option or a placeholder. While files
// are still being read (logic options), it looks through what was read so far.
func (p *parser) lookupValue(name string) (string, bool) {
	if v, ok := p.cfg.placeholders[name]; ok {
		p.cfg.phUsed[name] = true
		return v.raw, true
	}
	o, known := Lookup(name)
	for _, e := range p.entries {
		k, isOpt := Lookup(e.key)
		switch {
		case e.key == name, known && isOpt && k == o:
			return e.val, true
		case isOpt && (k.Name == "set-placeholder" || k.Name == "set"):
			if pk, pv, ok := strings.Cut(e.val, "="); ok && pk == name {
				return pv, true
			}
		}
	}
	return "", false
}

// evaluate runs uWSGI's placeholder pipeline: juxtaposed operands are
// concatenated; + - * / do integer math (division by zero gives 0).
func (p *parser) evaluate(tokens []string) (string, bool) {
	acc, op := "", ""
	for _, t := range tokens {
		switch t {
		case "+", "-", "*", "/":
			op = t
			continue
		case "++", "--":
			n, _, _ := parseInt(acc)
			if t == "++" {
				n++
			} else {
				n--
			}
			acc = strconv.Itoa(n)
			continue
		}
		v, ok := p.lookupValue(t)
		if !ok {
			v = t
		}
		if op == "" {
			acc += v
			continue
		}
		a, _, _ := parseInt(acc)
		c, _, _ := parseInt(v)
		switch op {
		case "+":
			a += c
		case "-":
			a -= c
		case "*":
			a *= c
		case "/":
			if c == 0 {
				a = 0
			} else {
				a /= c
			}
		}
		acc, op = strconv.Itoa(a), ""
	}
	return acc, true
}
