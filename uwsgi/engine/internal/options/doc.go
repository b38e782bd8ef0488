// Package options reads the engine's settings from a config.Config once
// (ReadOptions): typed values with uWSGI's rules (an option that needs a
// master turns it on; 0 means the option table's default), and the
// --limit-as / --evil-reload-on-as checks.
//
// Guarantees: defaults come from package config's option table alone;
// Options is a plain value, read-only once built.
package options
