package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A process's CPU time is read past its command name, which may hold
// spaces and parentheses; the server's figure adds the time of the
// children it reaped (cutime, cstime), so PostgreSQL's total does not
// fall when a backend ends.
func TestStatTicks(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
	stat := "4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 100 200 0 0 7 3 50 40 20 0 1 0 123 456 789\n"
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := selfTicks(path); got != 10 {
		t.Errorf("selfTicks = %d, want utime+stime 10", got)
	}
	if got := ticksWithChildren(path); got != 100 {
		t.Errorf("ticksWithChildren = %d, want utime+stime+cutime+cstime 100", got)
	}
	if got := ticksWithChildren(filepath.Join(t.TempDir(), "gone")); got != 0 {
		t.Errorf("a process gone: %d, want 0", got)
	}
}

// A process's context switches are its threads' voluntary and
// nonvoluntary ones, added up.
func TestContextSwitches(t *testing.T) {
	dir := t.TempDir()
	for tid, status := range map[string]string{
		"100": "Name:\thbC\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\n",
		"101": "Name:\thbC\nvoluntary_ctxt_switches:\t40\nnonvoluntary_ctxt_switches:\t0\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, tid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tid, "status"), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := contextSwitches(dir); got != 50 {
		t.Errorf("contextSwitches = %d, want 50", got)
	}
	if got := contextSwitches(fmt.Sprintf("/proc/%d/task", os.Getpid())); got <= 0 {
		t.Errorf("this process's context switches = %d, want some", got)
	}
}
