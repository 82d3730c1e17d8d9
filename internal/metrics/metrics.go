// Package metrics exposes Hookboard's Prometheus metrics: deliveries by
// outcome, attempt latency, queue depth, ingested events and HTTP request
// durations by route pattern, plus the Go and process collectors.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. A nil *Metrics records nothing.
type Metrics struct {
	registry   *prometheus.Registry
	deliveries *prometheus.CounterVec
	attempts   *prometheus.HistogramVec
	ingested   prometheus.Counter
	requests   *prometheus.HistogramVec
}

// New registers the collectors. queueDepth counts due deliveries on each
// scrape.
func New(queueDepth func(context.Context) (int, error)) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookboard_deliveries_total",
			Help: "Delivery attempts by the outcome they gave the delivery (succeeded, retrying, failed).",
		}, []string{"outcome"}),
		attempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookboard_attempt_duration_seconds",
			Help:    "Duration of delivery HTTP requests.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"trigger"}),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookboard_events_ingested_total",
			Help: "Events accepted by POST /events (replays of an Idempotency-Key not counted).",
		}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookboard_http_request_duration_seconds",
			Help:    "Duration of dashboard and API requests by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
	}
	m.registry.MustRegister(m.deliveries, m.attempts, m.ingested, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queueDepth != nil {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookboard_queue_depth",
			Help: "Deliveries due now (pending or retrying, next attempt time passed).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n, err := queueDepth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	for _, o := range []string{"succeeded", "retrying", "failed"} {
		m.deliveries.WithLabelValues(o)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Attempt records one attempt and the delivery status it led to.
func (m *Metrics) Attempt(trigger, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(outcome).Inc()
	m.attempts.WithLabelValues(trigger).Observe(d.Seconds())
}

// Ingested counts an accepted event.
func (m *Metrics) Ingested() {
	if m != nil {
		m.ingested.Inc()
	}
}

// Request records a request's duration under its route pattern.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, codeClass(code)).Observe(d.Seconds())
}

func codeClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	}
	return "2xx"
}
