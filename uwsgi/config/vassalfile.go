package config

import (
	"fmt"
	"os"
)

// FileKind is the config kind of a file named by its extension ("ini",
// "yaml", "json"), as uWSGI's Emperor picks --ini / --yaml / --json.
func FileKind(path string) (string, bool) { return fileKind(path) }

// FileValue reads the last raw value of key in the uwsgi section of a
// config file, without placeholders, includes or any other option: what an
// Emperor needs of a vassal file (binary-path) before starting it.
func FileValue(path, key string) (string, error) {
	kind, ok := fileKind(path)
	if !ok {
		return "", fmt.Errorf("uwsgi: %s: not an ini, yaml or json file", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var entries []entry
	switch kind {
	case "ini":
		var warnings []string
		entries, err = parseINI(string(raw), path, "uwsgi", &warnings)
	case "yaml":
		entries, err = parseYAML(string(raw), path, "uwsgi")
	case "json":
		entries, err = parseJSON(string(raw), path, "uwsgi")
	}
	if err != nil {
		return "", err
	}
	want := normalizeName(key)
	v := ""
	for _, e := range entries {
		if normalizeName(e.key) == want {
			v = e.val
		}
	}
	return v, nil
}
