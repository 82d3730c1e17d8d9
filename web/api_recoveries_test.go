package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
)

// The recovery API: 202 with the job, 409 naming the running one, the job
// with its counts, the list, cancel, and bad input named by field.
func TestAPIRecoveries(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID
	_, out, _ := e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"A","url":"`+e.receiver.URL+`","events":["*"]}`)
	wh := out["data"].(map[string]any)["id"].(string)
	for range 3 {
		e.call("POST", p+"/events", "", `{"eventType":"invoice.paid","payload":{"n":1}}`)
	}
	e.fail = true
	drv := sendertest.Start(t, e.st, sender.Options{AllowPrivate: true})
	drv.Step() // 3 retrying after a failed attempt
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	resp, out, _ := e.call("POST", p+"/webhooks/"+wh+"/recover", b+"/webhooks/{id}/recover", `{"since":"`+since+`"}`)
	if resp.StatusCode != 202 {
		t.Fatalf("recover: %d %v", resp.StatusCode, out)
	}
	job := out["data"].(map[string]any)
	id, _ := job["id"].(string)
	if job["kind"] != "recover" || job["total"] != float64(3) || (job["status"] != "queued" && job["status"] != "running") || job["webhookId"] != wh {
		t.Errorf("recover answer %v", job)
	}
	if loc := resp.Header.Get("Location"); loc != p+"/recoveries/"+id {
		t.Errorf("Location %q", loc)
	}

	resp, out, _ = e.call("POST", p+"/webhooks/"+wh+"/recover", b+"/webhooks/{id}/recover", `{"since":"`+since+`"}`)
	if resp.StatusCode != 409 || out["recoveryId"] != id {
		t.Errorf("second job: %d %v, want 409 naming %s", resp.StatusCode, out, id)
	}

	resp, out, _ = e.call("GET", p+"/recoveries/"+id, b+"/recoveries/{recoveryID}", "")
	if resp.StatusCode != 200 {
		t.Fatalf("get: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "recovery", out["data"], "id", "kind", "status", "webhookId", "since", "until", "rate", "total", "sent", "succeeded",
		"failed", "skipped", "interrupted", "startedBy", "createdAt", "startedAt", "finishedAt", "error")
	if got := out["data"].(map[string]any); got["rate"] != float64(20) || got["sent"] != float64(0) || got["startedBy"] == "" {
		t.Errorf("get: %v", got)
	}
	resp, out, _ = e.call("GET", p+"/recoveries?limit=1", b+"/recoveries", "")
	if resp.StatusCode != 200 || len(out["data"].([]any)) != 1 {
		t.Errorf("list: %d %v", resp.StatusCode, out)
	}

	resp, out, _ = e.call("POST", p+"/recoveries/"+id+"/cancel", b+"/recoveries/{recoveryID}/cancel", "")
	if resp.StatusCode != 200 || out["data"].(map[string]any)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", resp.StatusCode, out)
	}

	// Bulk resend over a filter, and replay, once nothing runs.
	resp, out, _ = e.call("POST", p+"/deliveries/bulk-resend", b+"/deliveries/bulk-resend", `{"status":"retrying","eventType":"invoice.paid","webhookId":"`+wh+`","from":"`+since+`"}`)
	if resp.StatusCode != 202 || out["data"].(map[string]any)["kind"] != "bulk-resend" || out["data"].(map[string]any)["total"] != float64(3) {
		t.Fatalf("bulk resend: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "bulk filter", out["data"].(map[string]any)["filter"], "status", "eventType", "webhookId", "from", "to")
	bulk := out["data"].(map[string]any)["id"].(string)
	e.call("POST", p+"/recoveries/"+bulk+"/cancel", b+"/recoveries/{recoveryID}/cancel", "{}")
	resp, out, _ = e.call("POST", p+"/webhooks/"+wh+"/replay-missing", b+"/webhooks/{id}/replay-missing", `{"since":"`+since+`"}`)
	if resp.StatusCode != 422 {
		t.Errorf("replay with nothing missing: %d %v, want 422", resp.StatusCode, out)
	}
	// A webhook made after the events: replay creates its 3 deliveries;
	// a second replay meets the first running.
	_, out, _ = e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"Late","url":"`+e.receiver.URL+`","events":["invoice.paid"]}`)
	late := out["data"].(map[string]any)["id"].(string)
	resp, out, _ = e.call("POST", p+"/webhooks/"+late+"/replay-missing", b+"/webhooks/{id}/replay-missing", `{"since":"`+since+`"}`)
	if resp.StatusCode != 202 || out["data"].(map[string]any)["kind"] != "replay" || out["data"].(map[string]any)["total"] != float64(3) {
		t.Fatalf("replay: %d %v", resp.StatusCode, out)
	}
	replay := out["data"].(map[string]any)["id"]
	resp, out, _ = e.call("POST", p+"/webhooks/"+late+"/replay-missing", b+"/webhooks/{id}/replay-missing", `{"since":"`+since+`"}`)
	if resp.StatusCode != 409 || out["recoveryId"] != replay {
		t.Errorf("second replay: %d %v, want 409 naming %v", resp.StatusCode, out, replay)
	}

	// A job that runs: its counts, and its attempts (trigger "recovery") in
	// the documented shapes.
	e.call("POST", p+"/recoveries/"+replay.(string)+"/cancel", b+"/recoveries/{recoveryID}/cancel", "")
	e.fail = false
	_, out, _ = e.call("POST", p+"/webhooks/"+wh+"/recover", b+"/webhooks/{id}/recover", `{"since":"`+since+`"}`)
	ran := out["data"].(map[string]any)["id"].(string)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sender.NewRecoveryRunner(e.st, drv.Sender, sender.RecoveryOptions{Poll: 20 * time.Millisecond}).Run(ctx)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, out, _ = e.call("GET", p+"/recoveries/"+ran, b+"/recoveries/{recoveryID}", "")
		if out["data"].(map[string]any)["status"] == "done" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	if got := out["data"].(map[string]any); got["status"] != "done" || got["succeeded"] != float64(3) || got["finishedAt"] == nil {
		t.Fatalf("the job that ran: %v", got)
	}
	_, out, _ = e.call("GET", p+"/webhooks/"+wh+"/deliveries?limit=1", b+"/webhooks/{id}/deliveries", "")
	delivery := out["data"].([]any)[0].(map[string]any)["id"].(string)
	_, out, _ = e.call("GET", p+"/deliveries/"+delivery, b+"/deliveries/{deliveryID}", "")
	if tr := out["data"].(map[string]any)["attempts"].([]any)[0].(map[string]any)["trigger"]; tr != "recovery" {
		t.Errorf("the job's attempt has trigger %v", tr)
	}

	// Bad input.
	for _, tc := range []struct{ path, pattern, body, field string }{
		{"/webhooks/" + wh + "/recover", "/webhooks/{id}/recover", `{}`, "since"},
		{"/webhooks/" + wh + "/recover", "/webhooks/{id}/recover", `{"since":"yesterday"}`, "since"},
		{"/webhooks/" + wh + "/recover", "/webhooks/{id}/recover", `{"since":"` + since + `","until":"2000-01-01T00:00:00Z"}`, "until"},
		{"/webhooks/" + wh + "/replay-missing", "/webhooks/{id}/replay-missing", `{"since":"2100-01-01T00:00:00Z"}`, "since"},
		{"/deliveries/bulk-resend", "/deliveries/bulk-resend", `{"status":"succeeded"}`, "status"},
		{"/deliveries/bulk-resend", "/deliveries/bulk-resend", `{"from":"monday"}`, "from"},
		{"/deliveries/bulk-resend", "/deliveries/bulk-resend", `{"webhookId":"nope"}`, "webhookId"},
	} {
		resp, out, _ = e.call("POST", p+tc.path, b+tc.pattern, tc.body)
		errs, _ := out["errors"].([]any)
		if resp.StatusCode != 422 || len(errs) == 0 || errs[0].(map[string]any)["field"] != tc.field {
			t.Errorf("%s %s: %d %v, want 422 naming %s", tc.path, tc.body, resp.StatusCode, out, tc.field)
		}
	}
	resp, out, _ = e.call("POST", p+"/webhooks/"+wh+"/recover", b+"/webhooks/{id}/recover", `{"since":"`+since+`","extra":1}`)
	if resp.StatusCode != 400 {
		t.Errorf("unknown field: %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("GET", p+"/recoveries/no-such-job", b+"/recoveries/{recoveryID}", "")
	if resp.StatusCode != 404 || out["resourceType"] != "recovery" {
		t.Errorf("unknown job: %d %v", resp.StatusCode, out)
	}
	// Another app's key does not see the job.
	resp, _, _ = e.call("GET", "/api/v1/apps/"+e.other.ID+"/recoveries/"+id, "", "", "Authorization", "Bearer "+e.otherKey)
	if resp.StatusCode != 404 {
		t.Errorf("another app's job: %d", resp.StatusCode)
	}
}
