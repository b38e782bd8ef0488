// Package handoff is the contract between a master and the processes it
// starts, in one typed place: the environment variable names (UWSGO_*),
// the worker's identity (EnvWorker), the descriptor table a worker
// inherits (Layout), the socket list (EncodeSockets, DecodeSockets), the
// control messages on the master-worker socketpair (Msg, ParseMsg, Send),
// the worker exit statuses, and the state a master image hands to the
// next across a binary upgrade (MasterState).
//
// Guarantees: each format is written by one function and read by one
// function of this package, and every reader accepts what its writer
// writes (FuzzMsg and FuzzMasterState check the round trips). The formats
// do not change between releases without a fallback, since a binary
// upgrade runs workers of the new binary under the old master and the
// new master image adopts the old one's workers. The package imports
// nothing of uwsgo's.
package handoff
