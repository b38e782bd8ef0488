// Package bridge serves net/http handlers from fasthttp request contexts.
//
// It is the hot path of uwsgo's net/http support: both socket kinds (the HTTP
// socket parsed by fasthttp and the uwsgi socket, whose packets the engine turns
// into a fasthttp request) end here when the app registered an http.Handler.
//
// Per request the bridge gives the *http.Request, its URL, body reader,
// context, header values and strings together in one allocation, plus the
// Header map: they are the handler's own and stay valid after ServeHTTP
// returns, as in net/http (the context is done then, the body reads no
// more; a request kept keeps only its own objects alive). With
// Server.ReuseRequests they
// are pooled instead and a handler must not keep them. The ResponseWriter
// and the rest of the exchange are always pooled. All strings of the request (method, URI,
// header values, addresses) are carved out of one string, kept in that
// object when it fits (never written again) or allocated, so a handler may
// keep any string it reads.
//
// A response that fits the buffer (BufferSize) is sent with a Content-Length
// and keeps the connection alive. A handler that calls Flush, or writes more
// than the buffer, streams: the bridge writes the status line and headers
// itself, then the body with chunked encoding (HTTP/1.1 sockets) or delimited
// by the connection close (uwsgi sockets, as uWSGI does), and hands the
// connection back to the server for keep-alive when the handler returns.
//
// The request context is cancelled when the handler returns, and when the
// client goes away while the handler waits on r.Context().Done() (the bridge
// then watches the connection, as net/http does).
package bridge
