// Package routing is uWSGI's internal routing: rules (--route, --route-if,
// --route-host, --route-run, --route-label...) compiled once at start and
// run on each request before the app, to redirect, rewrite, add headers,
// authenticate, serve a file or answer from the cache. It knows requests
// only through the Request interface the engine implements.
package routing

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dlclark/regexp2"
)

// Request is what the rules need of a request.
type Request interface {
	Var(name string) []byte // a CGI variable: PATH_INFO, REQUEST_URI, QUERY_STRING, HTTP_HOST, REMOTE_ADDR, HTTP_*...
	Query(name string) []byte
	Cookie(name string) []byte
	Rewrite(pathInfo, query string)
	AddVar(name, value string)
	AddHeader(name, value string)
	DelHeader(name string)
	// Respond ends the request: status 0 closes it with an empty answer;
	// a non-empty location is a redirect.
	Respond(status int, location, body string)
	ServeFile(path string)
	CacheGet(cache, key string) ([]byte, bool)
	// CacheStore asks for the app's response body (a 200) to be stored in
	// the cache once the app answered.
	CacheStore(cache, key string, expires int)
	RPC(name string, args []string) ([]byte, error)
	Signal(n uint8)
	Log(line string)
	DoNotLog() // the request is left out of the request log
}

// Entry is one routing option as given.
type Entry struct {
	Option string // route, route-if, route-if-not, route-run, route-label, route-host, ...
	Value  string
	Source string // where it was given, for errors
}

// Verdict tells the engine what to do after the rules ran.
type Verdict int

// The verdicts.
const (
	RunApp Verdict = iota // go on to the app
	Done                  // the rules answered the request
)

// subjects of the regexp rules: the CGI variable each one matches.
var subjects = map[string]string{"route": "PATH_INFO", "route-host": "HTTP_HOST", "route-uri": "REQUEST_URI",
	"route-qs": "QUERY_STRING", "route-remote-addr": "REMOTE_ADDR", "route-user-agent": "HTTP_USER_AGENT",
	"route-referer": "HTTP_REFERER"}

// Options are the option names of the request chain; ChainOptions gives
// those of the response, final and error chains ("response-route-host"...).
var Options = ChainOptions("")

// ChainOptions lists the options of a chain: "" (request), "response",
// "final" or "error".
func ChainOptions(chain string) []string {
	var out []string
	for _, o := range []string{"route", "route-host", "route-uri", "route-qs", "route-remote-addr", "route-user-agent",
		"route-referer", "route-if", "route-if-not", "route-run", "route-label"} {
		if chain != "" {
			o = chain + "-" + o
		}
		out = append(out, o)
	}
	return out
}

// matcher is a compiled pattern: Go's regexp (no allocation on a miss),
// or regexp2 for the PCRE features RE2 lacks (lookaround, backreferences).
type matcher struct {
	re  *regexp.Regexp
	re2 *regexp2.Regexp
}

func compilePattern(expr string) (matcher, error) {
	if re, err := regexp.Compile(expr); err == nil {
		return matcher{re: re}, nil
	}
	re2, err := regexp2.Compile(expr, regexp2.RE2)
	if err != nil {
		return matcher{}, err
	}
	return matcher{re2: re2}, nil
}

// match returns the submatch offsets (nil: no match).
func (m matcher) match(s []byte) []int {
	if m.re != nil {
		// Match first: it allocates nothing, and most requests miss; only a
		// hit pays for the submatch slice.
		if !m.re.Match(s) {
			return nil
		}
		return m.re.FindSubmatchIndex(s)
	}
	mt, err := m.re2.FindStringMatch(string(s))
	if err != nil || mt == nil {
		return nil
	}
	var idx []int
	for _, g := range mt.Groups() {
		if len(g.Captures) == 0 {
			idx = append(idx, -1, -1)
			continue
		}
		idx = append(idx, g.Index, g.Index+g.Length)
	}
	return idx
}

// Table is a compiled request chain.
type Table struct {
	rules []*rule
}

type rule struct {
	src     string
	subject string  // the variable a regexp rule matches; "" for route-if and route-run
	pattern matcher // regexp rules
	cond    *condition
	negate  bool
	label   string
	act     action
}

// Compile builds the table; an invalid rule is an error naming it.
func Compile(entries []Entry) (*Table, error) {
	t := &Table{}
	labels := map[string]int{}
	for _, e := range entries {
		r, err := compileRule(e)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: --%s %q (%s): %w", e.Option, e.Value, e.Source, err)
		}
		if r.label != "" {
			labels[r.label] = len(t.rules)
		}
		t.rules = append(t.rules, r)
	}
	for n, r := range t.rules {
		if r.act.gotoLabel == "" {
			continue
		}
		i, ok := labels[r.act.gotoLabel]
		if !ok {
			if _, err := fmt.Sscanf(r.act.gotoLabel, "%d", &i); err != nil || i < 0 || i > len(t.rules) {
				return nil, fmt.Errorf("uwsgi: %s: goto to an unknown label %q", r.src, r.act.gotoLabel)
			}
		}
		if i <= n {
			return nil, fmt.Errorf("uwsgi: %s: goto can only jump forward (a backward jump could loop forever)", r.src)
		}
		r.act.gotoIndex = i
	}
	if len(t.rules) == 0 {
		return nil, nil
	}
	return t, nil
}

func compileRule(e Entry) (*rule, error) {
	r := &rule{src: "--" + e.Option + " " + e.Value}
	for _, chain := range []string{"response-", "final-", "error-"} {
		e.Option = strings.TrimPrefix(e.Option, chain)
	}
	val := strings.TrimSpace(e.Value)
	if e.Option == "route-label" {
		r.label = val
		return r, nil
	}
	actionSpec := val
	switch {
	case e.Option == "route-run":
	case e.Option == "route-if" || e.Option == "route-if-not":
		c, rest, ok := strings.Cut(val, " ")
		if !ok {
			return nil, fmt.Errorf("want CONDITION ACTION")
		}
		cond, err := compileCondition(c)
		if err != nil {
			return nil, err
		}
		r.cond, r.negate, actionSpec = cond, e.Option == "route-if-not", strings.TrimSpace(rest)
	default:
		subject, ok := subjects[e.Option]
		if !ok {
			return nil, fmt.Errorf("unknown routing option")
		}
		expr, rest, ok := strings.Cut(val, " ")
		if !ok {
			return nil, fmt.Errorf("want REGEXP ACTION")
		}
		m, err := compilePattern(expr)
		if err != nil {
			return nil, fmt.Errorf("invalid regexp: %w", err)
		}
		r.subject, r.pattern, actionSpec = subject, m, strings.TrimSpace(rest)
	}
	act, err := compileAction(actionSpec)
	if err != nil {
		return nil, err
	}
	r.act = act
	return r, nil
}

// Run applies the rules to a request.
func (t *Table) Run(req Request) Verdict {
	for i := 0; i < len(t.rules); i++ {
		r := t.rules[i]
		if r.label != "" {
			continue
		}
		var subject []byte
		var groups []int
		switch {
		case r.subject != "":
			subject = req.Var(r.subject)
			if groups = r.pattern.match(subject); groups == nil {
				continue
			}
		case r.cond != nil:
			ok, s, g := r.cond.eval(req)
			if ok == r.negate {
				continue
			}
			subject, groups = s, g
		}
		if r.act.gotoLabel != "" {
			i = r.act.gotoIndex - 1 // the loop steps onto the label
			continue
		}
		switch r.act.run(req, expander{req: req, subject: subject, groups: groups}) {
		case stop:
			return RunApp
		case answered:
			return Done
		}
	}
	return RunApp
}
