package routing

import "testing"

// FuzzRule compiles arbitrary rules and runs what compiles on a request:
// nothing may panic.
func FuzzRule(f *testing.F) {
	f.Add("route", `^/old/(.*)$ rewrite:/new/$1?x=${qs[x]}`)
	f.Add("route-if", `regexp:${HTTP_USER_AGENT};^curl/(\d+) addheader:X-Curl: $1`)
	f.Add("route-if-not", `equal:${HTTPS};on redirect-permanent:https://${HTTP_HOST}${REQUEST_URI}`)
	f.Add("route", `.* basicauth:realm,user:pass`)
	f.Fuzz(func(t *testing.T, option, value string) {
		tb, err := Compile([]Entry{{Option: option, Value: value, Source: "fuzz"}})
		if err != nil || tb == nil {
			return
		}
		r := &fakeReq{vars: map[string]string{"PATH_INFO": "/old/x", "HTTP_USER_AGENT": "curl/8", "HTTP_HOST": "h"}}
		tb.Run(r)
	})
}
