// Package proto holds the wire formats of the uwsgi protocol, with no I/O.
//
// Every uwsgi packet starts with a 4-byte header: modifier1 (one byte: what
// the packet is for, e.g. 0 for a request as nginx sends it, 100 for a
// ping), datasize (a little-endian 16-bit count of the bytes that follow the
// header, so at most 65535), and modifier2 (one byte: a sub-type or a
// command). For a request, the datasize bytes are the "vars" block: pairs of
// a key and a value, each written as a little-endian 16-bit length and that
// many bytes. The request body, if any, follows the vars block and is not
// counted in datasize: its length is the CONTENT_LENGTH var.
//
// Arrays (RPC arguments, cache values) use the same length-prefixed items
// without pairing them.
//
// Decoding works on byte slices the caller read, and allocates nothing.
package proto
