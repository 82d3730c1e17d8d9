package templates

// PolicyForm is the endpoint-policy part of the webhook form. Header
// values are never put back in the page: HeaderLines holds the names only
// ("Name:" a line), and a blank value keeps the stored one.
type PolicyForm struct {
	RateLimit   string
	HeaderLines string
	HasHeaders  bool // stored values exist (edit)
	Ordering    string
}

// PolicyFacts is the endpoint-policy part of the webhook page. Header
// values are shown masked, to every role.
type PolicyFacts struct {
	RateLimit   int // 0: none
	HeaderNames []string
	FIFO        bool
	Waiting     int // deliveries behind the FIFO head
}
