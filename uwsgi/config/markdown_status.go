package config

import (
	"fmt"
	"io"
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
