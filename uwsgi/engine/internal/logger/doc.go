// Package logger is the engine's log: server lines and request lines,
// written by one process to --logto or stderr, or sent through the log
// master's pipes (Route, WorkerLogging) when log routing options are set.
//
// Guarantees: a line is written whole (lines to a pipe are cut at
// pipeAtomic bytes, so that lines of different processes never mix);
// Printf and Request are safe for concurrent use; Flush and Close write
// what is buffered.
package logger
