package sender

import "sync"

// lanes is how many of a pool's goroutines may work (numbered from 0):
// all of them while this process is the only one sending from its
// database, fewer while others share it (SetProcesses).
type lanes struct {
	total int
	mu    sync.Mutex
	open  int
	// changed is closed, and replaced, when open changes.
	changed chan struct{}
}

func newLanes(total int) *lanes {
	return &lanes{total: total, open: total, changed: make(chan struct{})}
}

// share opens the pool's part of its lanes for one of processes sending
// from the database: total / processes, at least one. A database that
// several processes share gets about as many writers at once as it
// would from one, each writing larger batches, instead of total per
// process: more, smaller transactions that cost it more per delivery.
func (l *lanes) share(processes int) {
	n := max(1, l.total/max(1, processes))
	l.mu.Lock()
	defer l.mu.Unlock()
	if n != l.open {
		l.open = n
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// opened is how many lanes are open.
func (l *lanes) opened() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// lane reports whether lane i is open, and returns a channel closed at
// the next change: a goroutine waits on it, whether to start (its lane
// closed) or to stop waiting for work (its lane may have closed).
func (l *lanes) lane(i int) (open bool, changed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return i < l.open, l.changed
}
