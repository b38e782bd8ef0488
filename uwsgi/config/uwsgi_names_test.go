package config

import (
	"strings"
	"testing"
)

// Every option of uWSGI's tables has a row: supported, ignored with a
// reason or refused with what to use instead. None is unknown.
func TestEveryUwsgiOptionIsKnown(t *testing.T) {
	if len(unclassified) > 0 {
		t.Fatalf("%d uWSGI options have no row and no rule: %s", len(unclassified), strings.Join(unclassified, " "))
	}
	if len(uwsgiNames) < 1000 {
		t.Fatalf("only %d uWSGI option names: the generated list is incomplete", len(uwsgiNames))
	}
	for _, n := range uwsgiNames {
		o, ok := Lookup(n.name)
		if !ok {
			t.Errorf("%s:%s is not in the table", n.plugin, n.name)
			continue
		}
		if o.Status != Supported && o.Note == "" {
			t.Errorf("%s is %s without a reason", n.name, o.Status)
		}
		if o.Status == NotYet {
			t.Errorf("%s is still 'not yet': support it, ignore it with a reason or refuse it", n.name)
		}
	}
}

func TestIgnoredRefusedAndStrict(t *testing.T) {
	p := writeFile(t, "s.ini", "[uwsgi]\nstrict = true\nsocket = :1\nspooler = /tmp/sp\nspooler-harakiri = 30\nmule = a.py\nmules = 2\n"+
		"alarm = mail cmd:true\nalarm = x cmd:true\npy-call-uwsgi-fork-hooks = true\nspooler-frequency = 3\n")
	c, err := Load([]string{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings(), "\n")
	for want, n := range map[string]int{"spooler and mules are not implemented": 1, "option 'alarm' is ignored": 1,
		"option 'py-call-uwsgi-fork-hooks' is ignored": 1, "spooler-harakiri": 0, "spooler-frequency": 0} {
		if got := strings.Count(w, want); got != n {
			t.Errorf("%d warnings with %q, want %d:\n%s", got, want, n, w)
		}
	}
	tune := writeFile(t, "t.ini", "[uwsgi]\nstrict = true\nsocket = :1\nspooler-harakiri = 30\nmule-harakiri = 3\n")
	if c, err := Load([]string{tune}, nil); err != nil || len(c.Warnings()) != 0 {
		t.Errorf("a config that only tunes the spooler: %v %q", err, c.Warnings())
	}
	typo := writeFile(t, "y.ini", "[uwsgi]\nstrict = true\nspooler-harakri = 30\n")
	if _, err := Load([]string{typo}, nil); err == nil || !strings.Contains(err.Error(), "unknown config directive 'spooler-harakri' at "+typo+":3 (did you mean 'spooler-harakiri'?)") {
		t.Errorf("typo under strict: %v", err)
	}
	jail := writeFile(t, "j.ini", "[uwsgi]\nsocket = :1\nunshare = net\n")
	if _, err := Load([]string{jail}, nil); err == nil || !strings.Contains(err.Error(), "option '--unshare' (from "+jail+":3) is not supported by uwsgo: Go cannot fork") {
		t.Errorf("refused: %v", err)
	}
}
