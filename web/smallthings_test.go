package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
)

// TestConfirmPagesNameWhatTheyDelete: without JavaScript, revoking a key
// and removing a member go through a page that names the key or the
// member; an id of no key gets 404, not a page about nothing.
func TestConfirmPagesNameWhatTheyDelete(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	k, _, err := h.store.CreateAPIKey(context.Background(), hook.Actor{}, h.acme.ID, "Billing backend")
	if err != nil {
		t.Fatal(err)
	}
	resp, doc := a.post("/apps/"+h.acme.ID+"/api-keys/"+k.ID+"/revoke", url.Values{})
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=confirm] h1"); got != "Revoke the API key “Billing backend”?" {
		t.Errorf("revoke heading %q", got)
	}
	if got := text(doc, "[data-testid=confirm] p"); !strings.Contains(got, k.Prefix+"…") {
		t.Errorf("revoke message %q lacks the prefix", got)
	}
	resp, _ = a.post("/apps/"+h.acme.ID+"/api-keys/nosuchkey/revoke", url.Values{})
	wantStatus(t, resp, http.StatusNotFound)

	members, err := h.store.ListMembers(context.Background(), h.acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	var supportID string
	for _, m := range members {
		if m.Email == "support@acme.test" {
			supportID = m.UserID
		}
	}
	resp, doc = a.post("/apps/"+h.acme.ID+"/members/"+supportID+"/remove", url.Values{})
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=confirm] h1"); got != "Remove support@acme.test from this app?" {
		t.Errorf("remove heading %q", got)
	}
	resp, _ = a.post("/apps/"+h.acme.ID+"/members/nosuchuser/remove", url.Values{})
	wantStatus(t, resp, http.StatusNotFound)
}
