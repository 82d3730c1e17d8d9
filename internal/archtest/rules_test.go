package archtest

// The import rules of docs/ARCHITECTURE.md, as data. Packages are named
// relative to the module: "web", "internal/store". A name ending in "/..."
// means that folder and every package under it; "..." alone means every
// package of the module. Keep this table and the document in step.

// rule forbids the packages in from (minus notFrom) to import, directly or
// through other packages of ours, any package in never (minus allowed).
type rule struct {
	from    []string
	notFrom []string
	never   []string
	allowed []string
	reason  string
}

const (
	hook       = "internal/hook"
	hooktest   = "internal/hook/hooktest"
	store      = "internal/store"
	storetest  = "internal/store/storetest"
	sender     = "internal/sender"
	sendertest = "internal/sender/sendertest"
	config     = "internal/config"
	assembly   = "internal/assembly"
	demo       = "internal/demo"
	metrics    = "internal/metrics"
	browser    = "internal/browser"
	web        = "web"
	templates  = "templates"
	static     = "static"
	all        = "..."
)

// leaves do one job and import nothing of ours, so every layer may use them.
var leaves = []string{
	"internal/secretbox", "internal/signature", "internal/dburl", "internal/logbuf", metrics, browser, hooktest, "migrations", static,
}

var rules = []rule{
	{
		from:   []string{hook},
		never:  []string{all},
		reason: "hook holds the domain types, error codes and validation rules, with no I/O; every layer imports it, so it imports none of them",
	},
	{
		from:   leaves,
		never:  []string{all},
		reason: "a leaf package does one job and imports nothing of ours, so any layer may use it without a cycle",
	},
	{
		from:    []string{templates},
		never:   []string{all},
		allowed: []string{hook},
		reason:  "templates render the view models they are given; they never reach storage, delivery or the request",
	},
	{
		from:   []string{store + "/..."},
		never:  []string{sender, web, assembly, config, metrics, demo, browser, templates, static},
		reason: "storage is SQL only: it does not deliver, serve pages, read settings or count; the delivery side and web call it",
	},
	{
		from:   []string{sender},
		never:  []string{web, assembly, config, demo, browser, templates, static},
		reason: "the delivery side (sender, ingester, delivery service) is handed its settings and is reached by web through an interface web declares",
	},
	{
		from:   []string{sendertest},
		never:  []string{web, assembly, config, demo, browser, templates, static},
		reason: "sendertest runs the real sender under Run for tests; like the sender, it knows nothing above the delivery side",
	},
	{
		from:   []string{web},
		never:  []string{sender, assembly, config, demo, browser},
		reason: "web reaches delivery and ingestion only through the small interfaces it declares, and is handed its Options rather than reading settings",
	},
	{
		from:   []string{config},
		never:  []string{store, sender, web, assembly, demo, metrics, browser, templates, static, "migrations"},
		reason: "config only parses and validates settings; it opens nothing, so DATABASE_URL parsing lives in internal/dburl, which both use",
	},
	{
		from:   []string{demo},
		never:  []string{sender, web, assembly, config, templates, static},
		reason: "demo seeds sample data through the store; the program that runs it decides when",
	},
	{
		from:    []string{all},
		notFrom: []string{"cmd/..."},
		never:   []string{assembly},
		reason:  "the assembly wires the whole program, so only the mains under cmd/ (and tests) may import it",
	},
	{
		from:   []string{all},
		never:  []string{hooktest, storetest, sendertest},
		reason: "test helpers are for _test.go files; the program must not link them",
	},
}

// mustExist are packages the architecture requires even if no rule would
// notice their absence.
var mustExist = []string{assembly}
