package web

import (
	"errors"
	"net/http"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

func (s *Server) eventTypesVM(r *http.Request, c *reqCtx, in hook.EventTypeInput, fe hook.FieldErrors) (templates.EventTypes, error) {
	types, err := s.store.ListEventTypes(r.Context(), c.appID(), true)
	if err != nil {
		return templates.EventTypes{}, err
	}
	vm := templates.EventTypes{Page: s.page(r, c, "Event types", "event-types"), AppID: c.appID(),
		Name: in.Name, Description: in.Description, Example: in.Example, Errors: map[string]string{}}
	for _, et := range types {
		vm.Rows = append(vm.Rows, templates.EventTypeRow{Name: et.Name, Description: et.Description, Example: et.Example, Archived: et.Archived(), CreatedAt: et.CreatedAt})
	}
	for _, e := range fe {
		vm.Errors[e.Field] = e.Message
	}
	return vm, nil
}

func (s *Server) eventTypeList(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	vm, err := s.eventTypesVM(r, c, hook.EventTypeInput{}, nil)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, templates.EventTypesPage(vm))
}

func (s *Server) eventTypeCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.error(w, r, c, hook.Errorf(hook.EINVALID, "The form could not be read (too large or malformed)."))
		return
	}
	in := hook.EventTypeInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"), Example: r.PostForm.Get("example")}
	in.Normalize()
	var et hook.EventType
	fe := formTextErrors(r)
	var err error
	if fe == nil {
		et, err = s.store.CreateEventType(r.Context(), c.actor(), c.appID(), in)
	}
	if fe != nil || errors.As(err, &fe) {
		vm, err := s.eventTypesVM(r, c, in, fe)
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.EventTypesPage(vm))
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("event type added", "app", c.appID(), "event_type", et.Name, "user", c.user.ID)
	c.flash("success", "Event type "+et.Name+" added.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/event-types")
}

func (s *Server) eventTypeArchive(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.setArchived(w, r, c, true)
}

func (s *Server) eventTypeUnarchive(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.setArchived(w, r, c, false)
}

func (s *Server) setArchived(w http.ResponseWriter, r *http.Request, c *reqCtx, archived bool) {
	name := r.PathValue("name")
	if err := s.store.SetEventTypeArchived(r.Context(), c.actor(), c.appID(), name, archived); err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("event type archived", "app", c.appID(), "event_type", name, "archived", archived, "user", c.user.ID)
	if archived {
		c.flash("success", "Event type "+name+" archived. Webhooks that have it keep it.")
	} else {
		c.flash("success", "Event type "+name+" is active again.")
	}
	s.redirect(w, r, c, "/apps/"+c.appID()+"/event-types")
}
