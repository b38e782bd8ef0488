package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// footprint measures what a running instance costs at rest: the time from
// exec to the first answered request, and each process's proportional set
// size (PSS: shared pages divided among the processes sharing them).
func (b *bench) footprint(name string, args ...string) (string, error) {
	port := freePort()
	cmd := exec.Command(b.bin("hello"), append([]string{"--http-socket", fmt.Sprintf("127.0.0.1:%d", port), "--disable-logging"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/view/", port)
	var startup time.Duration
	for deadline := t0.Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			startup = time.Since(t0)
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s never answered", name)
		}
	}
	time.Sleep(2 * time.Second) // let the workers settle
	var parts []string
	for i, pid := range append([]int{cmd.Process.Pid}, childPIDs(cmd.Process.Pid)...) {
		role := "worker"
		if i == 0 && len(args) > 0 {
			role = "master"
		} else if i == 0 {
			role = "process"
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", role, float64(pssKB(pid))/1024))
	}
	return fmt.Sprintf("| %s | %.0f ms | %s |\n", name, float64(startup.Microseconds())/1000, strings.Join(parts, ", ")), nil
}

func pssKB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Pss:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// footprints is the markdown table of the footprint measurements.
func (b *bench) footprints() string {
	var sb strings.Builder
	sb.WriteString("\n| instance (hello, idle) | start-up to first answered request | PSS per process |\n|---|---:|---|\n")
	for _, f := range []struct {
		name string
		args []string
	}{{"one process", nil}, {"--master --processes 2", []string{"--master", "--processes", "2"}}} {
		row, err := b.footprint(f.name, f.args...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		sb.WriteString(row)
	}
	return sb.String()
}
