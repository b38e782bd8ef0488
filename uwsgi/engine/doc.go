// Package engine runs a uwsgo instance: it binds the sockets, runs the loop
// engine (a fixed number of cores per worker, each a slot for one request
// in flight), serves the HTTP and uwsgi sockets, logs requests, and handles
// the process signals.
//
// The engine knows the option names of package config but not their syntax,
// and it leaves HTTP parsing to fasthttp and the uwsgi wire format to
// package proto.
package engine
