// Package config reads a uWSGI-compatible configuration: the command line,
// UWSGI_* environment variables and --ini / --yaml / --json / --include
// files, with uWSGI's placeholders, magic variables and logic blocks.
//
// One option table (Options) is the single source of truth: it drives the
// parser, --help (WriteUsage) and docs/options.md (WriteMarkdown, see
// `make docs`).
//
// Unknown names are treated as uWSGI treats them, with friendlier errors:
// on the command line an unknown option is an error; in a config file an
// unknown key becomes a placeholder (real configs define project-root =
// /srv/app and use %(project-root)), and one warning with file:line and the
// closest known option is given for each unknown key nothing used; with
// strict = true those are errors.
package config

//go:generate go run gen_options.go
