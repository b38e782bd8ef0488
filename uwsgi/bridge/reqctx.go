package bridge

import (
	"context"
	"net/http"
	"reflect"
	"unsafe"
)

// ctxOffset is where http.Request keeps its unexported context, or -1 when
// this Go version's Request has no such field of type context.Context.
// Setting it in place lets a request's Request, URL and context share one
// allocation; http.Request.WithContext would copy the Request into a second.
var ctxOffset = func() uintptr {
	f, ok := reflect.TypeFor[http.Request]().FieldByName("ctx")
	if !ok || f.Type != reflect.TypeFor[context.Context]() {
		return ^uintptr(0)
	}
	return f.Offset
}()

// withContext gives r the context ctx, in place when it can (r must be
// new: no one else may hold it yet), else as net/http's WithContext does.
func withContext(r *http.Request, ctx context.Context) *http.Request {
	if ctxOffset == ^uintptr(0) {
		return r.WithContext(ctx)
	}
	*(*context.Context)(unsafe.Add(unsafe.Pointer(r), ctxOffset)) = ctx
	return r
}
