package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

var statusOptions = []struct{ value, label string }{
	{hook.StatusSucceeded, "✓ Succeeded"},
	{hook.StatusFailed, "✗ Failed"},
	{hook.StatusRetrying, "↻ Retrying"},
	{hook.StatusPending, "… Pending"},
}

// parseDay reads a date filter: YYYY-MM-DD (a whole UTC day) or RFC 3339.
// endOfDay makes a plain date mean the end of that day (for "to").
func parseDay(v string, endOfDay bool) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			t = t.Add(24 * time.Hour)
		}
		return t, true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (s *Server) webhookEvents(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.eventLog(w, r, c, &wh)
}

func (s *Server) appEvents(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.eventLog(w, r, c, nil)
}

// eventLog renders a page of deliveries with the filters of the query
// string, which the pagination links keep.
func (s *Server) eventLog(w http.ResponseWriter, r *http.Request, c *reqCtx, wh *hook.Webhook) {
	q := r.URL.Query()
	vm := templates.EventLog{Page: s.page(r, c, "Events", "events"), AppID: c.appID(), Errors: map[string]string{},
		From: q.Get("from"), To: q.Get("to"), Query: strings.TrimSpace(q.Get("q")), Now: s.now()}
	f := eventLogFilter(q, &vm, wh)
	status := http.StatusOK
	var rows []store.DeliveryRow
	var next string
	if len(vm.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		var err error
		rows, next, err = s.store.ListDeliveries(r.Context(), c.appID(), f)
		if hook.ErrorCode(err) == hook.EINVALID {
			status, vm.Errors["cursor"] = http.StatusBadRequest, hook.ErrorMessage(err)
		} else if err != nil {
			s.error(w, r, c, err)
			return
		}
	}
	for _, d := range rows {
		vm.Rows = append(vm.Rows, logRowVM(d))
	}
	if err := s.eventLogChoices(r.Context(), c.appID(), &vm, f, wh == nil); err != nil {
		s.error(w, r, c, err)
		return
	}
	vm.NextURL, vm.NewestURL = eventLogLinks(q, next, f.Cursor)
	if wh == nil && len(vm.Errors) == 0 {
		vm.BulkResend = s.bulkResendOffer(r, c, q, f)
	}
	s.render(w, r, c, status, templates.EventLogPage(vm))
}

// eventLogFilter reads the event log's filters from the query string (the
// webhook from wh on a webhook's own log), noting what is invalid in
// vm.Errors.
func eventLogFilter(q url.Values, vm *templates.EventLog, wh *hook.Webhook) store.DeliveryFilter {
	f := store.DeliveryFilter{Status: q.Get("status"), EventType: q.Get("event_type"), Cursor: q.Get("cursor"), Query: vm.Query}
	if f.Status != "" && !slices.ContainsFunc(statusOptions, func(o struct{ value, label string }) bool { return o.value == f.Status }) {
		vm.Errors["status"] = "Unknown status."
		f.Status = ""
	}
	if wh != nil {
		vm.WebhookID, vm.WebhookName, f.WebhookID = wh.ID, wh.Name, wh.ID
		vm.Page.Title = wh.Name + " · Events"
		vm.Page.Nav = "webhooks"
	} else {
		f.WebhookID = q.Get("webhook")
	}
	var ok bool
	if f.From, ok = parseDay(vm.From, false); !ok {
		vm.Errors["from"] = "Enter a date as YYYY-MM-DD."
	}
	if f.To, ok = parseDay(vm.To, true); !ok {
		vm.Errors["to"] = "Enter a date as YYYY-MM-DD."
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		vm.Errors["to"] = "“To” must be on or after “From”."
	}
	if len(vm.Query) > 200 {
		vm.Errors["q"] = "Search for one ID of at most 200 characters."
	}
	vm.Filtered = f.Status != "" || f.EventType != "" || (wh == nil && f.WebhookID != "") || vm.From != "" || vm.To != "" || vm.Query != ""
	return f
}

// eventLogChoices fills the filter form's choices, f's selected: the
// statuses, the app's event types (with the test ping and the type asked
// for) and, on the app's whole log, its webhooks.
func (s *Server) eventLogChoices(ctx context.Context, appID string, vm *templates.EventLog, f store.DeliveryFilter, withWebhooks bool) error {
	for _, o := range statusOptions {
		vm.Statuses = append(vm.Statuses, templates.Option{Value: o.value, Label: o.label, Selected: o.value == f.Status})
	}
	types, err := s.store.ListEventTypes(ctx, appID, true)
	if err != nil {
		return err
	}
	names := []string{hook.PingEventType}
	for _, et := range types {
		names = append(names, et.Name)
	}
	if f.EventType != "" && !slices.Contains(names, f.EventType) {
		names = append(names, f.EventType)
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		vm.EventTypes = append(vm.EventTypes, templates.Option{Value: n, Label: n, Selected: n == f.EventType})
	}
	if !withWebhooks {
		return nil
	}
	webhooks, err := s.store.ListWebhooks(ctx, appID)
	if err != nil {
		return err
	}
	for _, x := range webhooks {
		vm.Webhooks = append(vm.Webhooks, templates.Option{Value: x.ID, Label: x.Name, Selected: x.ID == f.WebhookID})
	}
	return nil
}

// eventLogLinks are the pagination links, keeping the query's filters: the
// next page (when there is one) and, past the first page, the newest one.
func eventLogLinks(q url.Values, next, cursor string) (nextURL, newestURL string) {
	filters := func() url.Values {
		out := url.Values{}
		for k, v := range q {
			if k != "cursor" && len(v) > 0 && v[0] != "" {
				out[k] = v
			}
		}
		return out
	}
	if next != "" {
		nq := filters()
		nq.Set("cursor", next)
		nextURL = "?" + nq.Encode()
	}
	if cursor != "" {
		newestURL = "?" + filters().Encode()
	}
	return nextURL, newestURL
}

// prettyJSON indents a payload for reading; invalid JSON is shown as is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

func headerList(h map[string][]string) []templates.HeaderVM {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []templates.HeaderVM
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, templates.HeaderVM{Name: k, Value: v})
		}
	}
	return out
}

// logRowVM is a delivery as an event log row shows it: with its latest
// attempt's response status (or cause), duration and the next retry.
func logRowVM(d store.DeliveryRow) templates.DeliveryRowVM {
	vm := templates.DeliveryRowVM{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		WebhookID: d.WebhookID, WebhookName: d.WebhookName, CreatedAt: d.CreatedAt}
	vm.Attempts = d.Attempts
	if d.Status == hook.StatusRetrying {
		vm.NextAttemptAt = d.NextAttemptAt
	}
	if d.LastAttempted() {
		vm.ResponseStatus = hook.ResponseStatusLabel(d.LastResponseStatus(), d.LastErrorText())
		vm.Duration = formatDuration(d.LastDuration())
	}
	return vm
}

// formatDuration shows a duration in ms, or s past one second; under a
// millisecond (which is stored as 0 ms) is "<1 ms".
func formatDuration(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func (s *Server) deliveryPage(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	d, err := s.store.DeliveryDetail(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.DeliveryPage{
		Page: s.page(r, c, d.EventType+" · Event details", "events"), AppID: c.appID(), ID: d.ID, EventID: d.EventID,
		EventType: d.EventType, Status: d.Status, WebhookID: d.WebhookID, WebhookName: d.WebhookName, WebhookURL: d.WebhookURL,
		NextAttemptAt: d.NextAttemptAt, Timestamp: d.Event.CreatedAt,
		Payload: prettyJSON(d.Event.Payload), Tab: "request", CanResend: store.Resendable(d.Delivery), Now: s.now(),
	}
	vm.AttemptCount = d.Delivery.Attempts
	q := r.URL.Query()
	if q.Get("tab") == "response" {
		vm.Tab = "response"
	}
	requestAttempt(&vm, d.Attempts, q.Get("attempt"))
	for _, a := range d.Attempts {
		vm.Attempts = append(vm.Attempts, templates.AttemptVM{
			ID: a.ID, Succeeded: a.Succeeded, Status: a.ResponseStatus, Headers: headerList(a.ResponseHeaders),
			Body: responseBody(a), Truncated: a.ResponseTruncated, Duration: formatDuration(a.Duration),
			Error: a.Error, Trigger: a.Trigger, CreatedAt: a.CreatedAt, Hint: hook.Hint(a),
		})
	}
	s.render(w, r, c, http.StatusOK, templates.DeliveryPageView(vm))
}

// requestAttempt fills the request tab: the picker of attempts (newest
// first) and the request of the one asked for, the latest by default (also
// when the id asked for is not one of this delivery's).
func requestAttempt(vm *templates.DeliveryPage, attempts []hook.Attempt, want string) {
	if len(attempts) == 0 {
		return
	}
	chosen := attempts[0]
	for _, a := range attempts {
		if a.ID == want {
			chosen = a
		}
	}
	vm.RequestAttemptID = chosen.ID
	vm.RequestURL = chosen.RequestURL
	vm.RequestHeaders = headerList(chosen.RequestHeaders)
	for i, h := range vm.RequestHeaders {
		if strings.EqualFold(h.Name, "webhook-timestamp") {
			if sec, err := strconv.ParseInt(h.Value, 10, 64); err == nil {
				t := time.Unix(sec, 0).UTC()
				vm.RequestHeaders[i].Time = &t
			}
		}
	}
	for i, a := range attempts {
		vm.RequestAttempts = append(vm.RequestAttempts, templates.AttemptChoice{
			ID: a.ID, Number: len(attempts) - i, Succeeded: a.Succeeded, CreatedAt: a.CreatedAt,
			URL: "?" + url.Values{"tab": {"request"}, "attempt": {a.ID}}.Encode(), Selected: a.ID == chosen.ID,
		})
	}
}

// responseBody is an attempt's response body for reading: JSON indented
// (when it is whole and valid JSON), anything else as received.
func responseBody(a hook.Attempt) string {
	if a.ResponseTruncated || !json.Valid(a.ResponseBody) {
		return string(a.ResponseBody)
	}
	return prettyJSON(a.ResponseBody)
}

// payloadDownload serves the payload bytes as stored, as an attachment.
func (s *Server) payloadDownload(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	d, err := s.store.Delivery(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	ev, err := s.store.Event(r.Context(), c.appID(), d.EventID)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// Named after the event, so several downloads do not overwrite each other.
	w.Header().Set("Content-Disposition", `attachment; filename="event-`+ev.ID+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(ev.Payload)
}

// resend sends a failed delivery again now: same payload and webhook-id,
// fresh timestamp and signature, an attempt marked manual.
func (s *Server) resend(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	a, err := s.deliver.Resend(r.Context(), c.actor(), c.appID(), id)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("delivery resent", "app", c.appID(), "delivery", id, "user", c.user.ID, "succeeded", a.Succeeded)
	switch {
	case a.Succeeded:
		c.flash("success", fmt.Sprintf("Resent: HTTP %d in %s. The delivery succeeded.", a.ResponseStatus, formatDuration(a.Duration)))
	case a.ResponseStatus != 0:
		c.flash("error", strings.TrimSpace(fmt.Sprintf("Resent, and it failed again: HTTP %d. %s", a.ResponseStatus, hook.Hint(a))))
	default:
		c.flash("error", "Resent, and it failed again: "+a.Error+". "+hook.Hint(a))
	}
	s.redirect(w, r, c, "/apps/"+c.appID()+"/deliveries/"+id+"?tab=response")
}

// eventPage shows one event of the app with its deliveries, one per
// webhook. Another app's event is not found.
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	ev, err := s.store.Event(r.Context(), c.appID(), r.PathValue("eventID"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	rows, _, err := s.store.ListDeliveries(r.Context(), c.appID(), store.DeliveryFilter{EventID: ev.ID, Limit: 100})
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.EventPage{Page: s.page(r, c, ev.EventType+" · Event", "events"), AppID: c.appID(), ID: ev.ID,
		EventType: ev.EventType, CreatedAt: ev.CreatedAt, Now: s.now(), Payload: prettyJSON(ev.Payload)}
	for _, d := range rows {
		vm.Deliveries = append(vm.Deliveries, logRowVM(d))
	}
	s.render(w, r, c, http.StatusOK, templates.EventPageView(vm))
}
