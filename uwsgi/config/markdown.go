package config

import (
	"fmt"
	"io"
	"strings"
)

// WriteUsage prints --help: every option with its kind, default and help.
func WriteUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [options...] [config files...]\n\nuwsgo %s, a uWSGI-compatible application server.\n\n", "APP", Version)
	for _, o := range Options() {
		if o.Status == NotYet || o.Status == Refused || o.Status == Ignored && o.Plugin != "core" && o.Plugin != "" {
			continue
		}
		name := "--" + o.Name
		if o.Short != 0 {
			name = fmt.Sprintf("-%c|%s", o.Short, name)
		}
		if o.Kind != Flag {
			name += " " + strings.ToUpper(strings.ReplaceAll(o.Kind.String(), " ", "_"))
		}
		help := o.Help
		if o.Status == Ignored {
			help = "ignored: " + o.Note
		}
		if o.Default != "" && o.Kind == Int {
			help += fmt.Sprintf(" (default %s)", o.Default)
		}
		fmt.Fprintf(w, "    %-40s %s\n", name, help)
	}
	fmt.Fprintf(w, "\nThe options of uWSGI's plugins that uwsgo ignores or refuses are listed in docs/options.md.\n")
}

// WriteMarkdown writes docs/options.md from the table.
func WriteMarkdown(w io.Writer) {
	fmt.Fprint(w, `# Options reference

<!-- Generated from uwsgi/config/table.go by `+"`make docs`"+`: edit the table, not this file. -->

Every option can be given on the command line (`+"`--name value`, `--name=value`"+`), in an ini/yaml/json
file (`+"`name = value`"+`) or as an environment variable (`+"`UWSGI_NAME=value`"+`), as in uWSGI. A supported
option behaves as in uWSGI 2.0 unless its note says otherwise. **Ignored** options are accepted with one
warning each, so configs written for uWSGI and its Python plugin run unchanged. **Refused** options stop
start-up with a message saying what to use instead. The plugin column names the uWSGI plugin that defines
the option (empty: an option of uwsgo's own).

`)
	writeCounts(w)
	writeCorpus(w)
	fmt.Fprint(w, "| option | short | aliases | argument | default | status | plugin | notes |\n|---|---|---|---|---|---|---|---|\n")
	for _, o := range Options() {
		short := ""
		if o.Short != 0 {
			short = fmt.Sprintf("`-%c`", o.Short)
		}
		aliases := make([]string, len(o.Aliases))
		for i, a := range o.Aliases {
			aliases[i] = "`" + a + "`"
		}
		status := o.Status.String()
		if o.Quiet {
			status = "ignored silently"
		}
		notes := o.Help
		if o.Note != "" {
			if o.Status == Ignored || o.Status == Refused {
				notes = o.Note
			} else {
				notes += ". uwsgo: " + o.Note
			}
		}
		def := o.Default
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", o.Name, short, strings.Join(aliases, ", "),
			o.Kind, def, status, o.Plugin, strings.ReplaceAll(notes, "|", "\\|"))
	}
}
