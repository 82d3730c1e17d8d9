package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuSnap is the whole machine's CPU time from /proc/stat and this
// process's own from /proc/self/stat, both in clock ticks (USER_HZ, 100 a
// second on Linux), at one moment.
type cpuSnap struct {
	busy, idle, steal, self, postgres int64
	at                                time.Time
}

const ticksPerSec = 100 // USER_HZ: fixed at 100 for user space on Linux

// tickMicros is one clock tick in microseconds.
const tickMicros = float64(time.Second/time.Microsecond) / ticksPerSec

func readCPU() cpuSnap {
	s := cpuSnap{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
		for i := 1; i < len(f) && i <= 8; i++ {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			switch i {
			case 4, 5: // idle, iowait
				s.idle += v
			case 8: // steal: time the host gave another machine
				s.steal += v
				s.busy += v
			default:
				s.busy += v
			}
		}
	}
	s.self = selfTicks("/proc/self/stat")
	s.postgres = postgresTicks()
	return s
}

// postgresTicks is the CPU time of every process named postgres on the
// machine (the server and its backends, alive at that moment), with what
// the ended backends spent (the server's reaped children's time): what the
// database spent, told apart from other work sharing the machine. It only
// grows, however many connections end between two readings (other tests'
// on the same server, or a pool's).
func postgresTicks() int64 {
	dirs, _ := os.ReadDir("/proc")
	var n int64
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		n += ticksWithChildren("/proc/" + d.Name() + "/stat")
	}
	return n
}

// selfTicks is utime+stime of the process whose stat file is at path.
func selfTicks(path string) int64 {
	f := statFields(path)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// ticksWithChildren is utime+stime+cutime+cstime of the process whose stat
// file is at path: its own time and that of the children it reaped.
func ticksWithChildren(path string) int64 {
	f := statFields(path)
	if len(f) < 15 {
		return 0
	}
	var n int64
	for _, v := range f[11:15] {
		t, _ := strconv.ParseInt(v, 10, 64)
		n += t
	}
	return n
}

// statFields are the fields of a /proc/<pid>/stat file after the command
// name (which may hold spaces), from the state on.
func statFields(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b)[i+1:])
}

// cpuFigures says what the machine spent between two snapshots per unit of
// work (n deliveries): the whole machine's busy CPU time per delivery in µs,
// this process's share of it, and how busy the two cores were.
func cpuFigures(a, b cpuSnap, n int64, res result) {
	busy, idle := b.busy-a.busy, b.idle-a.idle
	if n <= 0 || busy+idle <= 0 {
		return
	}
	tickUs := tickMicros
	res["cpu_us_per_delivery"] = round(float64(busy) * tickUs / float64(n))
	res["process_cpu_us_per_delivery"] = round(float64(b.self-a.self) * tickUs / float64(n))
	if pg := b.postgres - a.postgres; pg > 0 {
		res["postgres_cpu_us_per_delivery"] = round(float64(pg) * tickUs / float64(n))
	}
	res["machine_busy_pct"] = round(float64(busy) / float64(busy+idle) * 100)
	if steal := b.steal - a.steal; steal > 0 {
		res["steal_pct"] = round(float64(steal) / float64(busy+idle) * 100)
	}
}

// contextSwitches is how many times the threads listed in a process's task
// folder (/proc/PID/task) were switched off a core, of their own accord
// (to wait) or not: the sum of their voluntary and nonvoluntary counts. A
// Go runtime keeps its threads, so the sum only grows while it runs.
func contextSwitches(taskDir string) int64 {
	tasks, _ := os.ReadDir(taskDir)
	var n int64
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(taskDir, t.Name(), "status"))
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			name, v, ok := strings.Cut(line, ":")
			if ok && (name == "voluntary_ctxt_switches" || name == "nonvoluntary_ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}
