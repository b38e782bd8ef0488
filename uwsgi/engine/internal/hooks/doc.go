// Package hooks runs uWSGI's hooks (--hook-PHASE, --exec-PHASE and their
// shortcuts) at the phases of a process's start, checks them before
// anything starts (CheckHooks), and drops privileges between the as-root
// and as-user phases.
//
// Guarantees: a phase runs its hooks in configuration order; a fatal
// phase stops the start on the first failure, with one log line.
package hooks
