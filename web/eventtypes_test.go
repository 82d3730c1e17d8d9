package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEventTypesPage(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	path := "/apps/" + h.acme.ID + "/event-types"
	resp, doc := a.get(path)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("[data-testid=empty-state]").Length() != 1 {
		t.Error("no empty state")
	}
	resp, _ = a.post(path, url.Values{"name": {"invoice.paid"}, "description": {"An invoice was paid"}, "example": {`{"id": "inv_1"}`}})
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	row := doc.Find("table[data-testid=event-types] tr[data-event-type='invoice.paid']")
	if row.Length() != 1 {
		t.Fatal("new type not listed")
	}
	if got := strings.TrimSpace(row.Find("[data-field=description]").Text()); got != "An invoice was paid" {
		t.Errorf("description = %q", got)
	}
	if !strings.Contains(row.Find("[data-field=example]").Text(), `"inv_1"`) {
		t.Error("example not shown")
	}

	for _, bad := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"name": {"Invoice Paid"}}, "name"},
		{url.Values{"name": {"invoice..paid"}}, "name"},
		{url.Values{"name": {""}}, "name"},
		{url.Values{"name": {"invoice.paid"}}, "name"},
		{url.Values{"name": {"x.y"}, "example": {"{not json"}}, "example"},
	} {
		resp, doc := a.post(path, bad.form)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if text(doc, "[data-error-for="+bad.field+"]") == "" {
			t.Errorf("%v: no error for %s", bad.form, bad.field)
		}
		if got := doc.Find("input[name=name]").AttrOr("value", ""); got != bad.form.Get("name") {
			t.Errorf("name not kept: %q", got)
		}
	}

	// Archive: listed as archived, no longer offered for new webhooks.
	resp, _ = a.post(path+"/invoice.paid/archive", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if got := strings.TrimSpace(doc.Find("tr[data-event-type='invoice.paid'] [data-field=status]").Text()); got != "Archived" {
		t.Errorf("status = %q", got)
	}
	_, doc = a.get("/apps/" + h.acme.ID + "/webhooks/new")
	if doc.Find("input[name=events][value='invoice.paid']").Length() != 0 {
		t.Error("archived type offered on the create form")
	}
	resp, _ = a.post(path+"/invoice.paid/unarchive", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.get("/apps/" + h.acme.ID + "/webhooks/new")
	if doc.Find("input[name=events][value='invoice.paid']").Length() != 1 {
		t.Error("unarchived type not offered")
	}
	resp, _ = a.post(path+"/no.such/archive", nil)
	wantStatus(t, resp, http.StatusNotFound)
}
