package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

func (s *Server) membersVM(r *http.Request, c *reqCtx) (templates.Members, error) {
	ms, err := s.store.ListMembers(r.Context(), c.appID())
	if err != nil {
		return templates.Members{}, err
	}
	vm := templates.Members{Page: s.page(r, c, "Members", "members"), AppID: c.appID(), Errors: map[string]string{}}
	for _, m := range ms {
		vm.Rows = append(vm.Rows, templates.MemberRow{UserID: m.UserID, Email: m.Email, Role: string(m.Role), Self: m.UserID == c.user.ID, CreatedAt: m.CreatedAt})
	}
	return vm, nil
}

func (s *Server) memberList(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	vm, err := s.membersVM(r, c)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, templates.MembersPage(vm))
}

func (s *Server) memberAdd(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.error(w, r, c, hook.Errorf(hook.EINVALID, "The form could not be read."))
		return
	}
	email, role := r.PostForm.Get("email"), r.PostForm.Get("role")
	var res store.AddMemberResult
	fe := formTextErrors(r)
	var err error
	if fe == nil {
		res, err = s.store.AddMember(r.Context(), c.actor(), c.appID(), email, hook.Role(role))
	}
	if err != nil && !errors.As(err, &fe) {
		s.error(w, r, c, err)
		return
	}
	if fe != nil {
		vm, verr := s.membersVM(r, c)
		if verr != nil {
			s.error(w, r, c, verr)
			return
		}
		vm.Email, vm.Role = email, role
		for _, e := range fe {
			vm.Errors[e.Field] = e.Message
		}
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.MembersPage(vm))
		return
	}
	s.log.Info("member added", "app", c.appID(), "member", res.Member.UserID, "role", res.Member.Role, "new_account", res.TempPassword != "", "user", c.user.ID)
	if res.TempPassword != "" {
		// Shown once, in the answer to this POST.
		vm, err := s.membersVM(r, c)
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		vm.NewEmail, vm.TempPassword = res.Member.Email, res.TempPassword
		vm.Flashes = append(vm.Flashes, templates.Flash{Kind: "success", Message: res.Member.Email + " added as " + string(res.Member.Role) + "."})
		s.render(w, r, c, http.StatusOK, templates.MembersPage(vm))
		return
	}
	c.flash("success", res.Member.Email+" added as "+string(res.Member.Role)+".")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/members")
}

func (s *Server) memberRole(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	m, err := s.store.SetMemberRole(r.Context(), c.actor(), c.appID(), r.PathValue("userID"), hook.Role(r.PostForm.Get("role")))
	if err != nil {
		if hook.ErrorCode(err) == hook.ECONFLICT || hook.ErrorCode(err) == hook.EINVALID {
			c.flash("error", hook.ErrorMessage(err))
			s.redirect(w, r, c, "/apps/"+c.appID()+"/members")
			return
		}
		s.error(w, r, c, err)
		return
	}
	s.log.Info("member role changed", "app", c.appID(), "member", m.UserID, "role", m.Role, "user", c.user.ID)
	c.flash("success", m.Email+" is now "+string(m.Role)+".")
	target := "/apps/" + c.appID() + "/members"
	if m.UserID == c.user.ID && m.Role != hook.RoleAdmin {
		target = "/apps/" + c.appID() + "/webhooks" // no longer allowed on the members page
	}
	s.redirect(w, r, c, target)
}

// memberRemove removes once confirmed by the POST body (confirm=yes, from
// the confirm page or the JavaScript dialog); a query string does not count,
// so a link cannot skip the confirm step.
func (s *Server) memberRemove(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if confirmed(w, r) != nil {
		// The confirm page names the member, so nobody removes the wrong one.
		members, err := s.store.ListMembers(r.Context(), c.appID())
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		i := slices.IndexFunc(members, func(m store.Member) bool { return m.UserID == r.PathValue("userID") })
		if i < 0 {
			s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "Member not found."))
			return
		}
		s.confirm(w, r, c, "Remove "+members[i].Email+" from this app?", "They lose access to this app at once. Their account stays, with any other apps.", "Remove", "/apps/"+c.appID()+"/members")
		return
	}
	m, err := s.store.RemoveMember(r.Context(), c.actor(), c.appID(), r.PathValue("userID"))
	if err != nil {
		if hook.ErrorCode(err) == hook.ECONFLICT {
			c.flash("error", hook.ErrorMessage(err))
			s.redirect(w, r, c, "/apps/"+c.appID()+"/members")
			return
		}
		s.error(w, r, c, err)
		return
	}
	s.log.Info("member removed", "app", c.appID(), "member", m.UserID, "user", c.user.ID)
	c.flash("success", m.Email+" removed from this app.")
	if m.UserID == c.user.ID {
		s.redirect(w, r, c, "/")
		return
	}
	s.redirect(w, r, c, "/apps/"+c.appID()+"/members")
}

var auditLabels = map[string]string{
	"user.sign_in": "Signed in", "webhook.create": "Created webhook", "webhook.update": "Updated webhook",
	"webhook.delete": "Deleted webhook", "webhook.disable": "Turned webhook off", "webhook.test": "Sent test event",
	"secret.reveal": "Revealed signing secret", "secret.copy": "Copied signing secret", "secret.rotate": "Rotated signing secret",
	"secret.set": "Set custom signing secret", "delivery.resend": "Resent delivery", "api_key.create": "Created API key",
	"api_key.revoke": "Revoked API key", "member.add": "Added member", "member.role": "Changed role", "member.remove": "Removed member",
	"event_type.create": "Added event type", "event_type.archive": "Archived event type", "event_type.unarchive": "Unarchived event type",
	"user.password_change": "Changed own password", "user.password_reset": "Password set by an operator",
	"recovery.start": "Started recovery job", "recovery.cancel": "Cancelled recovery job",
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	cursor := r.URL.Query().Get("cursor")
	const pageSize = 50
	vm := templates.Audit{Page: s.page(r, c, "Audit log", "audit"), AppID: c.appID()}
	if cursor != "" && !store.ValidCursor(cursor) {
		// Like the event log: say so (400) rather than show the first page
		// as if it were the one asked for.
		vm.CursorError, vm.NewestURL = "The page cursor is not valid.", "?"
		s.render(w, r, c, http.StatusBadRequest, templates.AuditPage(vm))
		return
	}
	entries, err := s.store.ListAudit(r.Context(), c.appID(), cursor, pageSize+1)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		vm.NextURL = "?" + url.Values{"cursor": {entries[len(entries)-1].ID}}.Encode()
	}
	if cursor != "" {
		vm.NewestURL = "?"
	}
	for _, e := range entries {
		if row, ok := s.auditRow(c, e); ok {
			vm.Rows = append(vm.Rows, row)
		}
	}
	s.render(w, r, c, http.StatusOK, templates.AuditPage(vm))
}

// auditRow is one entry of the audit log as c may see it. A portal session
// (the product's customer) sees what was done to its app's webhooks, events
// and recovery jobs, not the team's own accounts: entries about sign-ins,
// passwords, members and API keys are left out, and the team's people and
// keys are shown as "team" and "API", never by e-mail or address.
func (s *Server) auditRow(c *reqCtx, e hook.AuditEntry) (templates.AuditRow, bool) {
	if c.portal != nil && hiddenFromPortal(e.Action) {
		return templates.AuditRow{}, false
	}
	row := templates.AuditRow{ID: e.ID, Action: e.Action, Label: auditLabels[e.Action], Actor: e.Actor, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, Detail: e.Detail, CreatedAt: e.CreatedAt}
	if row.Label == "" {
		row.Label = e.Action
	}
	if c.portal != nil {
		row.Actor = portalVisibleActor(e)
	}
	switch e.ObjectType {
	case "webhook":
		if e.Action != "webhook.delete" {
			row.ObjectURL = "/apps/" + c.appID() + "/webhooks/" + e.ObjectID
		}
	case "delivery":
		row.ObjectURL = "/apps/" + c.appID() + "/deliveries/" + e.ObjectID
	case "recovery":
		row.ObjectURL = "/apps/" + c.appID() + "/recoveries/" + e.ObjectID
	}
	return row, true
}

// hiddenFromPortal: the team's own business, not the customer's.
func hiddenFromPortal(action string) bool {
	for _, prefix := range []string{"user.", "member.", "api_key.", "portal.link", "portal.sessions."} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// portalVisibleActor names who did it without naming the team's people.
func portalVisibleActor(e hook.AuditEntry) string {
	switch {
	case strings.HasPrefix(e.Actor, "portal: "), e.Actor == "system":
		return e.Actor
	case e.ActorID != nil && *e.ActorID != "":
		return "team"
	default:
		return "API"
	}
}
