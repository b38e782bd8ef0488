package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type bench struct {
	dir    string
	dur    time.Duration
	conns  int
	rounds int
	binDir string // where the binaries are, when not dir (-before's copy)
	// report, when set, sees every round's runs (see -before).
	report func(cfgs []config, runs [][]*result)
}

// config is one server set-up under test.
type config struct {
	name     string
	baseline string // name of the configuration the ratio is taken against
	server   func(port int) *exec.Cmd
	front    func(port, backend int) (*exec.Cmd, func(), error) // optional proxy in front (nginx)
	path     string
	close    bool   // Connection: close on every request
	https    bool   // wrk speaks HTTPS (keep-alive) to the target
	wrkCPUs  string // where wrk runs ("1" when empty)
}

type result struct {
	config
	rps, p50, p99 float64 // req/s, ms, ms
	cpuPerReq     float64 // µs of server CPU (and front, if any) per request
	serverCPUs    float64 // CPUs the server (and front) kept busy: CPU time / wall time
	clientCPUs    float64 // CPUs wrk kept busy
	// ratio to the baseline: the median, lowest and highest of the rounds'
	// ratios (each round's run against the same round's baseline run).
	ratio, ratioLow, ratioHigh float64
}

func (b *bench) bin(name string) string {
	if b.binDir != "" {
		return filepath.Join(b.binDir, name)
	}
	return filepath.Join(b.dir, name)
}

func (b *bench) build() error {
	for name, pkg := range map[string]string{
		"hello":    "./examples/hello",
		"testapp":  "./internal/testapp",
		"nethttp":  "./internal/benchapps/nethttp",
		"fasthttp": "./internal/benchapps/fasthttp",
	} {
		cmd := exec.Command("go", "build", "-o", b.bin(name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as make build
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}

// pinned runs argv on CPU cpu when taskset is available.
func pinned(cpu string, argv ...string) *exec.Cmd {
	if _, err := exec.LookPath("taskset"); err == nil {
		return exec.Command("taskset", append([]string{"-c", cpu}, argv...)...)
	}
	return exec.Command(argv[0], argv[1:]...)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitPort(port int) error {
	for range 500 {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("port %d never accepted", port)
}

func (b *bench) run(c config) (result, error) {
	port := freePort()
	srv := c.server(port)
	srv.Stdout, srv.Stderr = nil, nil
	if err := srv.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGINT); _ = srv.Wait() }()
	if err := waitPort(port); err != nil {
		return result{}, err
	}
	target := port
	var fronts []int
	if c.front != nil {
		fport := freePort()
		front, stop, err := c.front(fport, port)
		if err != nil {
			return result{}, err
		}
		defer stop()
		if err := waitPort(fport); err != nil {
			return result{}, err
		}
		target = fport
		fronts = append([]int{front.Process.Pid}, childPIDs(front.Process.Pid)...)
	}
	scheme := "http"
	if c.https {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, target, c.path)
	// Warm up, then measure.
	if _, err := b.wrk(url, c, time.Second); err != nil {
		return result{}, err
	}
	// After the warm-up a master's workers are all running.
	pids := append(append([]int{srv.Process.Pid}, childPIDs(srv.Process.Pid)...), fronts...)
	cpu0 := cpuTime(pids)
	out, wrkCPU, err := b.wrkTimed(url, c, b.dur)
	if err != nil {
		return result{}, err
	}
	cpu := cpuTime(pids) - cpu0
	r := result{config: c}
	if err := parseWrk(out, &r); err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, out)
	}
	if total := r.rps * b.dur.Seconds(); total > 0 {
		r.cpuPerReq = cpu.Seconds() / total * 1e6
	}
	r.serverCPUs, r.clientCPUs = cpu.Seconds()/b.dur.Seconds(), wrkCPU.Seconds()/b.dur.Seconds()
	return r, nil
}

func (b *bench) wrk(url string, c config, d time.Duration) (string, error) {
	out, _, err := b.wrkTimed(url, c, d)
	return out, err
}

// wrkTimed runs wrk for d and also returns the CPU time it used.
func (b *bench) wrkTimed(url string, c config, d time.Duration) (string, time.Duration, error) {
	args := []string{"wrk", "-t1", fmt.Sprintf("-c%d", b.conns), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency"}
	if c.close {
		args = append(args, "-H", "Connection: close")
	}
	args = append(args, url)
	cpus := c.wrkCPUs
	if cpus == "" {
		cpus = "1"
	}
	cmd := pinned(cpus, args...)
	out, err := cmd.CombinedOutput()
	var used time.Duration
	if st := cmd.ProcessState; st != nil {
		used = st.UserTime() + st.SystemTime()
	}
	return string(out), used, err
}

var (
	rpsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latRe = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
)

func parseWrk(out string, r *result) error {
	m := rpsRe.FindStringSubmatch(out)
	if m == nil {
		return errors.New("no Requests/sec in wrk output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range latRe.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		switch l[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if l[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	if strings.Contains(out, "Non-2xx") || strings.Contains(out, "Socket errors") && !r.close {
		return errors.New("wrk reported errors")
	}
	return nil
}

// cpuTime sums user+system CPU time of the processes.
func cpuTime(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return total
}

// childPIDs lists pid's children, whichever of its threads started them
// (a Go master forks from any thread).
func childPIDs(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}
