package uwsgi

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/engine"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  a  b\tc ", []string{"a", "b", "c"}},
		{`"a b" 'c d'`, []string{"a b", "c d"}},
		{`a"b c"d`, []string{"ab cd"}},
		{`"x \"y\" \\ \n"`, []string{`x "y" \ \n`}},
		{`''`, []string{""}},
		{`it\'s`, []string{"it's"}},
	} {
		if got := SplitArgs(tc.in); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVarsOfForeignRequest(t *testing.T) {
	if v := Vars(httptest.NewRequest("GET", "/", nil)); v != nil {
		t.Fatalf("Vars of a request uwsgo did not serve = %v, want nil", v)
	}
}

func TestReuseRequestsOption(t *testing.T) {
	var app engine.App
	ReuseRequests()(&app)
	if !app.ReuseRequests {
		t.Fatal("ReuseRequests() did not ask the engine to reuse requests")
	}
}
