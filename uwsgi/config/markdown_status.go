package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// writeCounts writes how many of uWSGI's options each status has.
func writeCounts(w io.Writer) {
	var n [4]int
	plugins := map[string]bool{}
	for _, u := range uwsgiNames {
		o, _ := Lookup(u.name)
		n[o.Status]++
		plugins[u.plugin] = true
	}
	own := 0
	for _, o := range table {
		if o.Plugin == "" {
			own++
		}
	}
	fmt.Fprintf(w, "uWSGI 2.0 has %d options in its core, the plugins Debian's uwsgi-core ships (%d of them define options) and the python plugin "+
		"(names read from uWSGI's own option tables: scripts/uwsgi-option-names.py). uwsgo knows every one: "+
		"**%d supported**, **%d ignored** (each with one warning saying why; the few that only tune the spooler or "+
		"the mules are ignored silently), **%d refused** (start-up stops saying what to use instead). %d more options are "+
		"uwsgo's own. `strict = true` therefore only rejects real typos, with the closest option.\n\n",
		len(uwsgiNames), len(plugins)-2, n[Supported], n[Ignored], n[Refused]+n[NotYet], own)
}

// writeCorpus writes what the differential corpus of published configs
// holds (tests/corpus/manifest.tsv and expect.tsv).
func writeCorpus(w io.Writer) {
	rows := tsvRows("../../tests/corpus/manifest.tsv")
	if len(rows) == 0 {
		return
	}
	formats := map[string]int{}
	projects := map[string]bool{}
	for _, r := range rows {
		if len(r) < 3 {
			continue
		}
		projects[r[1]] = true
		switch ext := strings.ToLower(filepath.Ext(r[2])); ext {
		case ".yml":
			formats["yaml"]++
		default:
			formats[strings.TrimPrefix(ext, ".")]++
		}
	}
	diffs := len(tsvRows("../../tests/corpus/expect.tsv"))
	fmt.Fprintf(w, "The differential corpus (`TestPublishedConfigCorpus`, tests/corpus) holds %d published configs "+
		"(%d ini, %d xml, %d yaml, %d json) from %d projects; each, adapted to run on one machine (listeners on "+
		"127.0.0.1, no privilege switches, no commands, Python app options replaced), is started under uwsgo and "+
		"under real uWSGI 2.0 with the python3 plugin, and both must serve or both refuse, except %d deliberate "+
		"differences listed with their reasons in tests/corpus/expect.tsv.\n\n",
		len(rows), formats["ini"], formats["xml"], formats["yaml"], formats["json"], len(projects), diffs)
}

func tsvRows(path string) [][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var rows [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}
