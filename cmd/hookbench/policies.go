package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// policies: a plain webhook's throughput (events as fast as the API takes
// them), alone and then beside a rate-limited webhook (its limit above
// its offered load) and a FIFO webhook, both sent a steady second stream
// of events. The plain webhook should keep at least 90 % of its
// deliveries per second: policies cost the others nothing much.
func policies(ctx context.Context, o options) (result, error) {
	const sideRate, limit = 100, 200 // events/s to the policy webhooks, and the limit
	// Alone, beside, beside, alone: the machine's drift falls on both alike
	// (a brief run, as in the tests, takes each once).
	phases := []bool{false, true, true, false}
	if o.duration < 5*time.Second {
		phases = phases[:2]
	}
	each := float64(len(phases) / 2)
	var alone, beside float64
	side := result{}
	add := func(k string, v float64) {
		f, _ := side[k].(float64)
		side[k] = round(f + v/each)
	}
	for _, withSide := range phases {
		plain, s, err := policyPhase(ctx, o, withSide, sideRate, limit)
		if err != nil {
			return nil, err
		}
		kind := "_alone"
		if withSide {
			kind = "_beside"
		}
		// The machine in each kind of phase: whether the side load cost CPU
		// or held the plain webhook's deliveries back some other way.
		for k, name := range map[string]string{"machine_busy_pct": "busy_percent", "cpu_us_per_delivery": "cpu_us_per_delivery"} {
			if v, ok := s[k].(float64); ok {
				add(name+kind, v)
			}
			delete(s, k)
		}
		if !withSide {
			alone += plain / each
			continue
		}
		beside += plain / each
		for k, v := range s {
			f, _ := v.(float64)
			add(k, f)
		}
	}
	res := result{"side_rate": sideRate, "rate_limit": limit,
		"plain_alone_per_sec": round(alone), "plain_beside_per_sec": round(beside), "kept_percent": round(beside / alone * 100)}
	for k, v := range side {
		res[k] = v
	}
	return res, nil
}

// policyPhase offers events to the plain webhook as fast as the API takes
// them (and, withSide, sideRate events/s of another type to a
// rate-limited and a FIFO webhook; without, to none) and returns the plain webhook's
// deliveries per second while the load lasts.
func policyPhase(ctx context.Context, o options, withSide bool, sideRate, limit int) (float64, result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, err := start(ctx, o, 2*time.Second)
	if err != nil {
		return 0, nil, err
	}
	defer in.Close()
	rc, err := newReceiver(ctx, "")
	if err != nil {
		return 0, nil, err
	}
	if _, err := in.st.CreateEventType(ctx, hook.Actor{}, in.app.ID, hook.EventTypeInput{Name: "order.created"}); err != nil {
		return 0, nil, err
	}
	if err := policyWebhook(ctx, in, "plain", rc.url+"/plain", "invoice.paid", nil); err != nil {
		return 0, nil, err
	}
	if withSide {
		if err := policyWebhook(ctx, in, "limited", rc.url+"/limited", "order.created", func(w *hook.WebhookInput) { w.RateLimit = limit }); err != nil {
			return 0, nil, err
		}
		if err := policyWebhook(ctx, in, "fifo", rc.url+"/fifo", "order.created", func(w *hook.WebhookInput) { w.Ordering = hook.OrderingFIFO }); err != nil {
			return 0, nil, err
		}
	}
	c := newClient(in, o.concurrency)
	dur := min(o.duration, 15*time.Second)
	var wg sync.WaitGroup
	offer := func(rate int, eventType string) {
		defer wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		deadline := time.Now().Add(dur)
		sem := make(chan struct{}, o.concurrency)
		var inner sync.WaitGroup
		for time.Now().Before(deadline) {
			<-tick.C
			sem <- struct{}{}
			inner.Go(func() { defer func() { <-sem }(); c.ingestType(eventType) })
		}
		inner.Wait()
	}
	deadline := time.Now().Add(dur)
	for range o.concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				c.ingestType("invoice.paid")
			}
		})
	}
	// The second stream is offered alone too (to no webhook), so the
	// phases differ only by the two policy webhooks' deliveries.
	wg.Add(1)
	go offer(sideRate, "order.created")
	cpu0, n0 := readCPU(), rc.count.Load()
	time.Sleep(time.Until(deadline))
	plain := float64(rc.pathCount("/plain")) / dur.Seconds()
	machine := result{}
	cpuFigures(cpu0, readCPU(), rc.count.Load()-n0, machine) // every delivery that arrived, the side webhooks' too
	wg.Wait()
	side := result{}
	for _, k := range []string{"machine_busy_pct", "cpu_us_per_delivery"} {
		if v, ok := machine[k]; ok {
			side[k] = v
		}
	}
	if withSide {
		side["limited_per_sec"] = round(float64(rc.pathCount("/limited")) / dur.Seconds())
		side["fifo_per_sec"] = round(float64(rc.pathCount("/fifo")) / dur.Seconds())
		side["deferred_by_limit"] = float64(in.st.Deferred())
	}
	return plain, side, nil
}

func policyWebhook(ctx context.Context, in *instance, name, u, eventType string, edit func(*hook.WebhookInput)) error {
	w := hook.WebhookInput{Name: name, URL: u, Events: []string{eventType}, Active: true, AuthType: hook.AuthNone}
	if edit != nil {
		edit(&w)
	}
	_, _, err := in.st.CreateWebhook(ctx, hook.Actor{}, in.app.ID, w, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	return err
}

// ingestType posts one event of the type.
func (c *client) ingestType(eventType string) error {
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(`{"eventType":"`+eventType+`","payload":{"n":1}}`))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("ingest: status %d", resp.StatusCode)
	}
	return nil
}
