// Package web serves the dashboard (templ pages) and, beside it, the JSON API.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gorilla/sessions"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/metrics"
	"github.com/hookboard/hookboard/internal/store"
)

// Options configure a Server.
type Options struct {
	Store           *store.Store
	Deliverer       Deliverer        // resends and test events; nil: each is an internal error
	Metrics         *metrics.Metrics // nil: no /metrics
	Logger          *slog.Logger
	SessionKey      []byte // 32 bytes
	SessionLifetime time.Duration
	SecureCookies   bool // always mark cookies Secure (behind a TLS proxy)
	Targets         hook.TargetPolicy
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (HOOKBOARD_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// LandingApp is the name of the app a member of several lands on
	// after sign-in (the demo's); otherwise the first by name.
	LandingApp string
	// Now is the clock for sign-in throttling; defaults to time.Now.
	Now func() time.Time
	// Ingester stores API events (sender.Ingester: batched, handed to the
	// sender); nil: straight into Store, one transaction each.
	Ingester Ingester
	// PublicURL is the base of portal links (HOOKBOARD_PUBLIC_URL); empty:
	// the request's scheme and host.
	PublicURL string
	// FrameAncestors may embed portal pages (HOOKBOARD_FRAME_ANCESTORS);
	// with any, portal cookies are SameSite=None; Secure; Partitioned.
	FrameAncestors []string
	// RecoveryRate is the requests per second a recovery job sends to one
	// webhook (HOOKBOARD_RECOVERY_RATE); 0: 20.
	RecoveryRate int
	// Retention is how long history is kept (HOOKBOARD_RETENTION): a
	// recovery may not reach further back. 0: not checked.
	Retention time.Duration
}

// Ingester is how the API ingests an event.
type Ingester interface {
	IngestEvent(ctx context.Context, appID, eventType string, payload []byte, idemKey string) (store.IngestResult, error)
}

// Server is the HTTP handler of the whole product.
type Server struct {
	store    *store.Store
	deliver  Deliverer
	ingester Ingester
	metrics  *metrics.Metrics
	log      *slog.Logger
	cookies  *sessions.CookieStore
	lifetime time.Duration
	secure   bool
	targets  hook.TargetPolicy
	now      func() time.Time
	trusted  []netip.Prefix
	landing  string
	static   *staticFiles
	mux      *http.ServeMux
	handler  http.Handler
	patterns []string
	portal   portalConfig
	// recoveryRate and retention: see Options.
	recoveryRate int
	retention    time.Duration
}

// New builds the server and its routes.
func New(opts Options) *Server {
	s := &Server{
		store:    opts.Store,
		deliver:  opts.Deliverer,
		ingester: opts.Ingester,
		metrics:  opts.Metrics,
		log:      opts.Logger,
		lifetime: opts.SessionLifetime,
		secure:   opts.SecureCookies,
		targets:  opts.Targets,
		now:      opts.Now,
		trusted:  opts.TrustedProxies,
		landing:  opts.LandingApp,
		static:   newStaticFiles(),
		portal:   newPortalConfig(opts.PublicURL, opts.FrameAncestors),

		recoveryRate: opts.RecoveryRate,
		retention:    opts.Retention,
	}
	if s.recoveryRate <= 0 {
		s.recoveryRate = defaultRecoveryRate
	}
	if s.deliver == nil {
		s.deliver = noDeliverer{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.lifetime == 0 {
		s.lifetime = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ingester == nil {
		s.ingester = opts.Store
	}
	// Separate keys for signing and encrypting the cookie, both derived from
	// the one configured session key.
	s.cookies = sessions.NewCookieStore(deriveKey(opts.SessionKey, "cookie-hash"), deriveKey(opts.SessionKey, "cookie-block"))
	s.cookies.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(s.lifetime.Seconds())}
	s.mux = http.NewServeMux()
	s.routes(s.mux)
	s.handler = s.recoverer(s.logRequests(securityHeaders(http.NewCrossOriginProtection().Handler(gzipResponses(s.mux)))))
	return s
}

func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
