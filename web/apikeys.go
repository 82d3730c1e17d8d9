package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

func (s *Server) apiKeysVM(r *http.Request, c *reqCtx) (templates.APIKeys, error) {
	keys, err := s.store.ListAPIKeys(r.Context(), c.appID())
	if err != nil {
		return templates.APIKeys{}, err
	}
	vm := templates.APIKeys{Page: s.page(r, c, "API keys", "api-keys"), AppID: c.appID(), Errors: map[string]string{}}
	for _, k := range keys {
		vm.Rows = append(vm.Rows, templates.APIKeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt})
	}
	return vm, nil
}

func (s *Server) apiKeyList(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	vm, err := s.apiKeysVM(r, c)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, templates.APIKeysPage(vm))
}

// apiKeyCreate shows the new key once, in the answer to the POST.
func (s *Server) apiKeyCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.error(w, r, c, hook.Errorf(hook.EINVALID, "The form could not be read."))
		return
	}
	name := r.PostForm.Get("name")
	var k store.APIKey
	var key string
	fe := formTextErrors(r)
	var err error
	if fe == nil {
		k, key, err = s.store.CreateAPIKey(r.Context(), c.actor(), c.appID(), name)
	}
	if err != nil && !errors.As(err, &fe) {
		s.error(w, r, c, err)
		return
	}
	vm, verr := s.apiKeysVM(r, c)
	if verr != nil {
		s.error(w, r, c, verr)
		return
	}
	if fe != nil {
		vm.Name = name
		for _, e := range fe {
			vm.Errors[e.Field] = e.Message
		}
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.APIKeysPage(vm))
		return
	}
	s.log.Info("api key created", "app", c.appID(), "key", k.ID, "prefix", k.Prefix, "user", c.user.ID)
	vm.NewKey, vm.NewFor = key, k.Name
	s.render(w, r, c, http.StatusOK, templates.APIKeysPage(vm))
}

// apiKeyRevoke revokes once confirmed by the POST body (confirm=yes); a
// query string does not count, so a link cannot skip the confirm step.
func (s *Server) apiKeyRevoke(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if confirmed(w, r) != nil {
		// The confirm page names the key, so nobody revokes the wrong one.
		keys, err := s.store.ListAPIKeys(r.Context(), c.appID())
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		i := slices.IndexFunc(keys, func(k store.APIKey) bool { return k.ID == r.PathValue("keyID") })
		if i < 0 {
			s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "API key not found."))
			return
		}
		s.confirm(w, r, c, "Revoke the API key “"+keys[i].Name+"”?", "Requests with it ("+keys[i].Prefix+"…) will get 401 at once. This cannot be undone.", "Revoke", "/apps/"+c.appID()+"/api-keys")
		return
	}
	k, err := s.store.RevokeAPIKey(r.Context(), c.actor(), c.appID(), r.PathValue("keyID"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("api key revoked", "app", c.appID(), "key", k.ID, "user", c.user.ID)
	c.flash("success", "API key “"+k.Name+"” revoked.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/api-keys")
}
