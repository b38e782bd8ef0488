package stats

import (
	"encoding/json"
	"strings"
	"testing"
)

func sample() *Snapshot {
	return &Snapshot{Version: "0.1.0", ListenQueue: 3, PID: 10, CWD: "/srv",
		Sockets: []Socket{{Name: "127.0.0.1:3031", Proto: "uwsgi", Queue: 3, MaxQueue: 100}},
		Workers: []Worker{{ID: 1, PID: 11, Accepting: true, Requests: 5, DeltaRequests: 5, Status: "busy",
			Cores: []Core{{ID: 0, Requests: 5, InRequest: true, RequestStart: 1700000000}, {ID: 1}}}}}
}

func TestJSONLayoutAndTypes(t *testing.T) {
	pretty := string(AppendJSON(nil, sample(), false))
	if !strings.HasPrefix(pretty, "{\n\t\"version\":\"0.1.0\",\n\t\"listen_queue\":3,") {
		t.Fatalf("pretty layout: %.80q", pretty)
	}
	min := AppendJSON(nil, sample(), true)
	if strings.ContainsAny(string(min), "\n\t") {
		t.Fatal("minified output has layout characters")
	}
	var doc map[string]any
	if err := json.Unmarshal(min, &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, min)
	}
	var again map[string]any
	if err := json.Unmarshal([]byte(pretty), &again); err != nil {
		t.Fatalf("pretty output is invalid JSON: %v", err)
	}
	w := doc["workers"].([]any)[0].(map[string]any)
	core := w["cores"].([]any)[0].(map[string]any)
	if core["req_info"].(map[string]any)["request_start"].(float64) != 1700000000 || w["status"] != "busy" {
		t.Fatalf("worker %v", w)
	}
	if idle := w["cores"].([]any)[1].(map[string]any); len(idle["req_info"].(map[string]any)) != 0 {
		t.Fatalf("idle core req_info %v, want {}", idle["req_info"])
	}
}

func TestPrometheusText(t *testing.T) {
	text := string(AppendPrometheus(nil, sample()))
	for _, want := range []string{
		"# TYPE uwsgi_worker_requests_total counter\n",
		"uwsgi_worker_requests_total{worker_id=\"1\"} 5\n",
		"uwsgi_socket_queue{name=\"127.0.0.1:3031\",proto=\"uwsgi\"} 3\n",
		"uwsgi_worker_core_requests_total{worker_id=\"1\",core_id=\"0\"} 5\n",
		"uwsgi_worker_busy{worker_id=\"1\"} 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
}
