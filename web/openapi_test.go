package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// openAPI checks answers against the schemas of the served OpenAPI document.
type openAPI struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

func loadOpenAPI(t *testing.T, base string) *openAPI {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi version %v", doc["openapi"])
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://hookboard.test/openapi.json", inst); err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: doc, compiler: c}
}

func pointerEscape(s string) string {
	return url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
}

// check validates one answer: the path pattern and method must be in the
// document, the status listed for it, and the body valid for its schema.
func (o *openAPI) check(t *testing.T, method, pattern string, resp *http.Response, raw []byte) {
	t.Helper()
	paths := o.doc["paths"].(map[string]any)
	item, ok := paths[pattern].(map[string]any)
	if !ok {
		t.Errorf("%s %s: path not in the OpenAPI document", method, pattern)
		return
	}
	opObj, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Errorf("%s %s: method not in the OpenAPI document", method, pattern)
		return
	}
	status := strings.TrimSpace(strings.Split(resp.Status, " ")[0])
	r, ok := opObj["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Errorf("%s %s: status %s not documented", method, pattern, status)
		return
	}
	ptr := "#/paths/" + pointerEscape(pattern) + "/" + strings.ToLower(method) + "/responses/" + status
	if ref, ok := r["$ref"].(string); ok {
		ptr = ref
		name := strings.TrimPrefix(ref, "#/components/responses/")
		r = o.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content, _ := r["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(raw)) != 0 {
			t.Errorf("%s %s %s: documented without a body, got %s", method, pattern, status, raw)
		}
		return
	}
	ct := resp.Header.Get("Content-Type")
	if _, ok := content[ct]; !ok {
		t.Errorf("%s %s %s: content type %q not documented", method, pattern, status, ct)
		return
	}
	sch, err := o.compiler.Compile("https://hookboard.test/openapi.json" + ptr + "/content/" + pointerEscape(ct) + "/schema")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Errorf("%s %s: body is not JSON", method, pattern)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s %s: body does not match the OpenAPI schema: %v\nbody: %s", method, pattern, status, err, raw)
	}
}

type apiEnv struct {
	t        *testing.T
	st       *store.Store
	base     string
	app      hook.App
	other    hook.App
	key      string
	otherKey string
	spec     *openAPI
	receiver *httptest.Server
	fail     bool
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	st := storetest.New(t, store.SQLite, storetest.Options{})
	e := &apiEnv{t: t, st: st}
	ctx := context.Background()
	e.app, _ = st.CreateApp(ctx, "Acme")
	e.other, _ = st.CreateApp(ctx, "Other")
	for _, et := range []string{"invoice.paid", "user.created"} {
		st.CreateEventType(ctx, hook.Actor{}, e.app.ID, hook.EventTypeInput{Name: et})
	}
	_, e.key, _ = st.CreateAPIKey(ctx, hook.Actor{}, e.app.ID, "test")
	_, e.otherKey, _ = st.CreateAPIKey(ctx, hook.Actor{}, e.other.ID, "other")
	e.receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(e.receiver.Close)
	snd := sender.New(sender.Options{Store: st, AllowPrivate: true})
	srv := httptest.NewServer(web.New(web.Options{Store: st, Deliverer: sender.NewService(st, snd), SessionKey: make([]byte, 32), Targets: hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}}))
	t.Cleanup(srv.Close)
	e.base = srv.URL
	e.spec = loadOpenAPI(t, srv.URL)
	return e
}

// call makes an API request; pattern names the documented path for the
// schema check ("" skips it).
func (e *apiEnv) call(method, path, pattern, body string, headers ...string) (*http.Response, map[string]any, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if pattern != "" {
		e.spec.check(e.t, method, pattern, resp, raw)
	}
	return resp, out, raw
}

func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func wantKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(v); !slices.Equal(got, want) {
		t.Errorf("%s: keys %v, want exactly %v", what, got, want)
	}
}

const b = "/api/v1/apps/{appID}"

func TestAPIWebhookLifecycleShapes(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID

	resp, out, _ := e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"Orders","url":"`+e.receiver.URL+`","events":["invoice.paid"],"description":"d","auth":{"type":"basic","username":"u","password":"pw"}}`)
	if resp.StatusCode != 201 || out["success"] != true {
		t.Fatalf("create: %d %v", resp.StatusCode, out)
	}
	created := out["data"].(map[string]any)
	wantKeys(t, "create", created, "id", "name", "url", "events", "active", "createdAt", "secret", "rateLimit", "headers", "ordering")
	id := created["id"].(string)
	if !strings.HasPrefix(created["secret"].(string), "whsec_") || created["active"] != true {
		t.Errorf("created %v", created)
	}

	resp, out, _ = e.call("GET", p+"/webhooks", b+"/webhooks", "")
	if resp.StatusCode != 200 || len(out["data"].([]any)) != 1 {
		t.Fatalf("list: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "list item", out["data"].([]any)[0], "id", "name", "url", "events", "active", "createdAt", "updatedAt", "rateLimit", "headers", "ordering")
	wantKeys(t, "pagination", out["pagination"], "nextCursor", "hasMore")

	_, out, _ = e.call("GET", p+"/webhooks/"+id, b+"/webhooks/{id}", "")
	wantKeys(t, "get", out["data"], "id", "name", "url", "events", "active", "createdAt", "updatedAt", "rateLimit", "headers", "ordering")

	resp, out, _ = e.call("PUT", p+"/webhooks/"+id, b+"/webhooks/{id}", `{"active":false,"events":["*"]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("update: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "update", out["data"], "id", "name", "url", "events", "active", "updatedAt", "rateLimit", "headers", "ordering")
	if d := out["data"].(map[string]any); d["active"] != false || d["name"] != "Orders" {
		t.Errorf("update kept the rest? %v", d)
	}
	// Absent auth fields keep the stored credential.
	if cred, _ := e.st.WebhookCredential(context.Background(), e.app.ID, id); cred != "pw" {
		t.Errorf("credential after partial update %q", cred)
	}

	resp, out, _ = e.call("POST", p+"/webhooks/"+id+"/rotate-secret", b+"/webhooks/{id}/rotate-secret", `{"expireOldNow":true}`)
	if resp.StatusCode != 200 {
		t.Fatalf("rotate: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "rotate", out["data"], "secret")
	if secrets, _ := e.st.ValidSecrets(context.Background(), id); len(secrets) != 1 || secrets[0] != out["data"].(map[string]any)["secret"] {
		t.Error("expireOldNow left the old secret valid")
	}
	resp, _, _ = e.call("POST", p+"/webhooks/"+id+"/rotate-secret", b+"/webhooks/{id}/rotate-secret", "")
	if resp.StatusCode != 200 {
		t.Errorf("rotate without a body: %d", resp.StatusCode)
	}
	if secrets, _ := e.st.ValidSecrets(context.Background(), id); len(secrets) != 2 {
		t.Errorf("rotation without expireOldNow keeps the old secret for 24 h: %d valid", len(secrets))
	}

	resp, _, raw := e.call("DELETE", p+"/webhooks/"+id, b+"/webhooks/{id}", "")
	if resp.StatusCode != 204 || len(raw) != 0 {
		t.Errorf("delete: %d %q", resp.StatusCode, raw)
	}
	resp, out, _ = e.call("GET", p+"/webhooks/"+id, b+"/webhooks/{id}", "")
	if resp.StatusCode != 404 || out["resourceType"] != "webhook" || out["resourceId"] != id {
		t.Errorf("after delete: %d %v", resp.StatusCode, out)
	}
}

func TestAPIDeliveriesEventsAndResend(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID
	_, out, _ := e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"A","url":"`+e.receiver.URL+`","events":["*"]}`)
	id := out["data"].(map[string]any)["id"].(string)

	resp, out, _ := e.call("POST", p+"/events", b+"/events", `{"eventType":"invoice.paid","payload":{"n":1}}`)
	if resp.StatusCode != 202 {
		t.Fatalf("ingest %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "ingest", out["data"], "id", "eventType", "createdAt", "deliveries")
	resp, _, _ = e.call("POST", p+"/events", b+"/events", `{"eventType":"invoice.paid","payload":{"n":1}}`, "Idempotency-Key", "k1")
	if resp.StatusCode != 202 {
		t.Fatal("ingest with key")
	}
	resp, _, _ = e.call("POST", p+"/events", b+"/events", `{"eventType":"invoice.paid","payload":{"n":1}}`, "Idempotency-Key", "k1")
	if resp.StatusCode != 200 {
		t.Errorf("replay status %d", resp.StatusCode)
	}
	resp, _, _ = e.call("POST", p+"/events", b+"/events", `{"eventType":"invoice.paid","payload":{"n":2}}`, "Idempotency-Key", "k1")
	if resp.StatusCode != 409 {
		t.Errorf("same key, other payload: %d", resp.StatusCode)
	}

	// Deliveries: the failed one can be resent; a succeeded one is a 409.
	e.fail = true
	sendertest.Start(t, e.st, sender.Options{AllowPrivate: true}).Step()
	resp, out, _ = e.call("GET", p+"/webhooks/"+id+"/deliveries?status=retrying&limit=1", b+"/webhooks/{id}/deliveries", "")
	if resp.StatusCode != 200 || len(out["data"].([]any)) != 1 || out["pagination"].(map[string]any)["hasMore"] != true {
		t.Fatalf("deliveries page: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "delivery item", out["data"].([]any)[0], "id", "webhookId", "eventId", "eventType", "status", "attemptCount", "nextAttemptAt", "lastAttemptAt", "createdAt")
	next := out["pagination"].(map[string]any)["nextCursor"].(string)
	first := out["data"].([]any)[0].(map[string]any)["id"].(string)
	_, out2, _ := e.call("GET", p+"/webhooks/"+id+"/deliveries?status=retrying&limit=1&cursor="+next, b+"/webhooks/{id}/deliveries", "")
	if len(out2["data"].([]any)) != 1 || out2["data"].([]any)[0].(map[string]any)["id"] == first || out2["pagination"].(map[string]any)["hasMore"] != false {
		t.Errorf("second page %v", out2)
	}
	// A new event does not shift the pages: the cursor is an id.
	e.call("POST", p+"/events", "", `{"eventType":"invoice.paid","payload":{"n":3}}`)
	_, out3, _ := e.call("GET", p+"/webhooks/"+id+"/deliveries?status=retrying&limit=1&cursor="+next, "", "")
	if out3["data"].([]any)[0].(map[string]any)["id"] != out2["data"].([]any)[0].(map[string]any)["id"] {
		t.Error("a new row changed the next page")
	}

	resp, out, _ = e.call("GET", p+"/deliveries/"+first, b+"/deliveries/{deliveryID}", "")
	if resp.StatusCode != 200 || len(out["data"].(map[string]any)["attempts"].([]any)) != 1 {
		t.Fatalf("delivery %d %v", resp.StatusCode, out)
	}
	e.fail = false
	resp, out, _ = e.call("POST", p+"/deliveries/"+first+"/resend", b+"/deliveries/{deliveryID}/resend", "")
	if resp.StatusCode != 202 || out["data"].(map[string]any)["status"] != "succeeded" {
		t.Fatalf("resend %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("POST", p+"/deliveries/"+first+"/resend", b+"/deliveries/{deliveryID}/resend", "")
	if resp.StatusCode != 409 {
		t.Errorf("resend of a succeeded delivery: %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("POST", p+"/webhooks/"+id+"/test-ping", b+"/webhooks/{id}/test-ping", "")
	if resp.StatusCode != 200 {
		t.Errorf("test-ping %d %v", resp.StatusCode, out)
	}

	resp, out, _ = e.call("GET", p+"/events?limit=2", b+"/events", "")
	if resp.StatusCode != 200 || len(out["data"].([]any)) != 2 {
		t.Fatalf("events %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "event", out["data"].([]any)[0], "id", "eventType", "createdAt", "payload")
	resp, out, _ = e.call("POST", p+"/event-types", b+"/event-types", `{"name":"order.shipped","description":"Shipped","example":{"id":1}}`)
	if resp.StatusCode != 201 {
		t.Fatalf("event type %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("GET", p+"/event-types", b+"/event-types", "")
	if resp.StatusCode != 200 || len(out["data"].([]any)) != 3 {
		t.Errorf("event types %d %v", resp.StatusCode, out)
	}
}

func TestAPIErrors(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID
	missing := "01a20389-0000-7000-8000-000000000000"
	cases := []struct {
		name, method, path, pattern, body, key string
		status                                 int
		extra                                  []string // keys the problem must have
	}{
		{"no key", "GET", p + "/webhooks", b + "/webhooks", "", "-", 401, []string{"realm", "scope"}},
		{"malformed key", "GET", p + "/webhooks", b + "/webhooks", "", "Bearer", 401, []string{"realm", "scope"}},
		{"other app's key", "GET", p + "/webhooks", b + "/webhooks", "", e.otherKey, 401, []string{"realm", "scope"}},
		{"unknown webhook", "GET", p + "/webhooks/" + missing, b + "/webhooks/{id}", "", "", 404, []string{"resourceType", "resourceId"}},
		{"bad id", "PUT", p + "/webhooks/nope", b + "/webhooks/{id}", `{}`, "", 404, []string{"resourceType", "resourceId"}},
		{"unknown delivery", "GET", p + "/deliveries/" + missing, b + "/deliveries/{deliveryID}", "", "", 404, []string{"resourceType", "resourceId"}},
		{"invalid fields", "POST", p + "/webhooks", b + "/webhooks", `{"name":"","url":"http://x","events":[]}`, "", 422, []string{"errors"}},
		{"malformed JSON", "POST", p + "/webhooks", b + "/webhooks", `{"name":`, "", 400, nil},
		{"unknown field", "POST", p + "/webhooks", b + "/webhooks", `{"name":"a","colour":"red"}`, "", 400, nil},
		{"wrong type", "POST", p + "/webhooks", b + "/webhooks", `{"name":7}`, "", 400, nil},
		{"too large", "POST", p + "/events", b + "/events", `{"eventType":"a.b","payload":{"x":"` + strings.Repeat("y", 257<<10) + `"}}`, "", 413, nil},
		{"bad limit", "GET", p + "/webhooks?limit=500", b + "/webhooks", "", "", 400, nil},
		{"bad cursor", "GET", p + "/events?cursor=zzz", b + "/events", "", "", 400, nil},
		{"bad status", "GET", p + "/webhooks/" + missing + "/deliveries?status=maybe", b + "/webhooks/{id}/deliveries", "", "", 404, nil},
		{"method not allowed", "PATCH", p + "/webhooks", "", `{}`, "", 405, nil},
		{"no such route", "GET", p + "/nothing", "", "", "", 404, nil},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, e.base+c.path, strings.NewReader(c.body))
		switch c.key {
		case "":
			req.Header.Set("Authorization", "Bearer "+e.key)
		case "-":
		case "Bearer":
			req.Header.Set("Authorization", "Bearer")
		default:
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.status, raw)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", c.name, ct)
		}
		var prob map[string]any
		json.Unmarshal(raw, &prob)
		for _, k := range append([]string{"type", "title", "status", "detail", "instance"}, c.extra...) {
			if _, ok := prob[k]; !ok {
				t.Errorf("%s: problem lacks %s: %s", c.name, k, raw)
			}
		}
		if c.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s: no Allow header", c.name)
		}
		if c.pattern != "" {
			e.spec.check(t, c.method, c.pattern, resp, raw)
		}
	}
	// 422 lists each bad field, with the API's names.
	_, out, _ := e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"x","url":"https://example.com","events":["*"],"auth":{"type":"api_key","header":""}}`)
	var fields []string
	for _, fe := range out["errors"].([]any) {
		fields = append(fields, fe.(map[string]any)["field"].(string))
	}
	if !slices.Equal(fields, []string{"auth.header", "auth.value"}) {
		t.Errorf("422 fields %v", fields)
	}
}

// Every path the OpenAPI document lists is served, and every API route is
// in the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newAPIEnv(t)
	paths := e.spec.doc["paths"].(map[string]any)
	documented := map[[2]string]bool{}
	for pattern, item := range paths {
		for method := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			documented[[2]string{strings.ToUpper(method), pattern}] = true
			path := strings.NewReplacer("{appID}", e.app.ID, "{id}", "01a20389-0000-7000-8000-000000000000", "{deliveryID}", "01a20389-0000-7000-8000-000000000000").Replace(pattern)
			resp, out, _ := e.call(strings.ToUpper(method), path, "", `{}`)
			if resp.StatusCode == 405 || (resp.StatusCode == 404 && out["resourceType"] == nil) {
				t.Errorf("%s %s is documented but not served (%d %v)", method, pattern, resp.StatusCode, out)
			}
		}
	}
	for _, r := range web.APIRoutes() {
		if !documented[r] {
			t.Errorf("%s %s is served but not in the OpenAPI document", r[0], r[1])
		}
		delete(documented, r)
	}
	for r := range documented {
		t.Errorf("%s %s is documented but has no route", r[0], r[1])
	}
}

// The schema check is not vacuous: a body of the wrong shape fails it.
func TestOpenAPISchemaRejectsWrongShape(t *testing.T) {
	e := newAPIEnv(t)
	ft := &testing.T{}
	resp := &http.Response{Status: "201 Created", StatusCode: 201, Header: http.Header{"Content-Type": {"application/json"}}}
	e.spec.check(ft, "POST", b+"/webhooks", resp, []byte(`{"success":true,"data":{"id":"x","name":"a","url":"u","events":[],"active":true,"createdAt":"2026-01-01T00:00:00Z"}}`))
	if !ft.Failed() {
		t.Error("a create answer without its secret passed the schema")
	}
}
