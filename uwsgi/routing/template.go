package routing

import (
	"strings"
)

// expander substitutes ${VAR}, ${qs[name]}, ${cookie[name]} and $1..$9
// (the groups of the rule's match) in an action's argument.
type expander struct {
	req     Request
	subject []byte
	groups  []int
}

func (x expander) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch {
		case n >= '0' && n <= '9':
			g := int(n - '0')
			if 2*g+1 < len(x.groups) && x.groups[2*g] >= 0 {
				b.Write(x.subject[x.groups[2*g]:x.groups[2*g+1]])
			}
			i++
		case n == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			b.Write(x.variable(s[i+2 : i+end]))
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (x expander) variable(name string) []byte {
	if k, ok := strings.CutPrefix(name, "qs["); ok {
		return x.req.Query(strings.TrimSuffix(k, "]"))
	}
	if k, ok := strings.CutPrefix(name, "cookie["); ok {
		return x.req.Cookie(strings.TrimSuffix(k, "]"))
	}
	return x.req.Var(name)
}
