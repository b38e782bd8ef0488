package routing

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// condition is a --route-if check: KIND:SUBJECT[;PATTERN], both sides
// expanded per request.
type condition struct {
	kind          string
	left, right   string
	pattern       matcher // regexp conditions with a constant pattern
	dynamicRegexp bool
}

var condKinds = map[string]string{
	"exists": "exists", "isfile": "isfile", "isdir": "isdir", "isexec": "isexec", "islink": "islink",
	"equal": "equal", "isequal": "equal", "eq": "equal", "==": "equal",
	"ishigherequal": ">=", ">=": ">=", "ishigher": ">", ">": ">", "islower": "<", "<": "<", "islowerequal": "<=", "<=": "<=",
	"startswith": "startswith", "endswith": "endswith", "regexp": "regexp", "re": "regexp", "empty": "empty", "contains": "contains",
}

func compileCondition(spec string) (*condition, error) {
	name, args, ok := strings.Cut(spec, ":")
	kind := condKinds[name]
	if !ok || kind == "" {
		return nil, fmt.Errorf("unknown route condition %q (exists, isfile, isdir, isexec, equal, startswith, endswith, regexp, empty, contains, ishigher, islower...)", name)
	}
	c := &condition{kind: kind}
	c.left, c.right, _ = strings.Cut(args, ";")
	if kind == "regexp" {
		if strings.Contains(c.right, "$") {
			c.dynamicRegexp = true
		} else {
			m, err := compilePattern(c.right)
			if err != nil {
				return nil, fmt.Errorf("invalid regexp: %w", err)
			}
			c.pattern = m
		}
	}
	return c, nil
}

// eval checks the condition; for regexp it also returns the subject and
// its groups, for $1..$9 in the action.
func (c *condition) eval(req Request) (bool, []byte, []int) {
	x := expander{req: req}
	left := x.expand(c.left)
	switch c.kind {
	case "exists", "isfile", "isdir", "isexec", "islink":
		return checkFile(c.kind, left), nil, nil
	case "empty":
		return left == "", nil, nil
	case "regexp":
		m := c.pattern
		if c.dynamicRegexp {
			var err error
			if m, err = compilePattern(x.expand(c.right)); err != nil {
				return false, nil, nil
			}
		}
		s := []byte(left)
		g := m.match(s)
		return g != nil, s, g
	}
	right := x.expand(c.right)
	switch c.kind {
	case "equal":
		return left == right, nil, nil
	case "startswith":
		return strings.HasPrefix(left, right), nil, nil
	case "endswith":
		return strings.HasSuffix(left, right), nil, nil
	case "contains":
		return strings.Contains(left, right), nil, nil
	}
	a, err1 := strconv.ParseInt(left, 10, 64)
	b, err2 := strconv.ParseInt(right, 10, 64)
	if err1 != nil || err2 != nil {
		return false, nil, nil
	}
	switch c.kind {
	case ">=":
		return a >= b, nil, nil
	case ">":
		return a > b, nil, nil
	case "<":
		return a < b, nil, nil
	}
	return a <= b, nil, nil
}

func checkFile(kind, path string) bool {
	st, err := os.Lstat(path)
	if err != nil {
		return false
	}
	if kind == "islink" {
		return st.Mode()&os.ModeSymlink != 0
	}
	if st.Mode()&os.ModeSymlink != 0 {
		if st, err = os.Stat(path); err != nil {
			return false
		}
	}
	switch kind {
	case "isfile":
		return st.Mode().IsRegular()
	case "isdir":
		return st.IsDir()
	case "isexec":
		return st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
	}
	return true
}
