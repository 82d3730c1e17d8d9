// Package archtest holds no code, only tests that keep the shape of the
// program: which package may import which (docs/ARCHITECTURE.md), and how
// long and how branchy a function may grow. They read the source and the
// import graph, so `go test ./...` checks them like any other test.
package archtest
