package sender

import "github.com/hookboard/hookboard/internal/hook"

// room is the sender's account of its capacity, per webhook and in all:
// requests in flight, claimed deliveries held for a slot of their webhook,
// and room promised to ingestion (Reserve) but not yet taken. It is
// guarded by Sender.mu.
type room struct {
	busy      map[string]int        // requests in flight per webhook
	inflight  int                   // requests in flight in all
	held      map[string][]hook.Job // claimed, waiting for a slot of their webhook
	reserved  map[string]int        // promised to ingestion, not yet taken
	reservedN int
}

func newRoom() room {
	return room{busy: map[string]int{}, held: map[string][]hook.Job{}, reserved: map[string]int{}}
}

// left is how many more deliveries of a webhook may run or wait, of share.
func (r *room) left(webhookID string, share int) int {
	return share - r.busy[webhookID] - len(r.held[webhookID]) - r.reserved[webhookID]
}

func (r *room) reserve(webhookID string) {
	r.reserved[webhookID]++
	r.reservedN++
}

func (r *room) unreserve(webhookID string) {
	if r.reserved[webhookID]--; r.reserved[webhookID] <= 0 {
		delete(r.reserved, webhookID)
	}
	r.reservedN--
}

func (r *room) hold(job hook.Job) {
	r.held[job.WebhookID] = append(r.held[job.WebhookID], job)
}

// nextHeld takes the first delivery held for a webhook, if any.
func (r *room) nextHeld(webhookID string) (hook.Job, bool) {
	q := r.held[webhookID]
	if len(q) == 0 {
		return hook.Job{}, false
	}
	if len(q) == 1 {
		delete(r.held, webhookID)
	} else {
		r.held[webhookID] = q[1:]
	}
	return q[0], true
}

// dropHeld empties the held queues and returns their deliveries' ids.
func (r *room) dropHeld() []string {
	var ids []string
	for w, jobs := range r.held {
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		delete(r.held, w)
	}
	return ids
}

func (r *room) started(webhookID string) {
	r.busy[webhookID]++
	r.inflight++
}

func (r *room) finished(webhookID string) {
	r.inflight--
	if r.busy[webhookID]--; r.busy[webhookID] <= 0 {
		delete(r.busy, webhookID)
	}
}
